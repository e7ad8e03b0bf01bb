// libFuzzer target: .npy bytes -> parse_npy.
#include <cstddef>
#include <cstdint>
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
  } catch (const edge::Error&) {
  }
  return 0;
}
