// libFuzzer target: .npy bytes -> parse_npy. Every error must be one line that names the
// source ("fuzz.npy"), however the header bytes look; anything else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool once = [] {
    edge::set_max_tensor_bytes(uint64_t{64} << 20);
    return true;
  }();
  (void)once;
  try {
    (void)edge::data::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const edge::Error& e) {
    std::string msg = e.what();
    if (msg.rfind("fuzz.npy: ", 0) != 0 || msg.find_first_of("\n\r") != std::string::npos) {
      std::fprintf(stderr, "error does not name the file on one line: %s\n", msg.c_str());
      std::abort();
    }
  }
  return 0;
}
