// libFuzzer target: serialized TensorProto bytes -> tensor_from_proto (typed fields, raw data,
// external references, which must stay inside the given directory). Every error must name
// the tensor; anything else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ir/tensor_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool once = [] {
    edge::set_max_tensor_bytes(uint64_t{64} << 20);
    return true;
  }();
  (void)once;
  onnx::TensorProto p;
  if (!p.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    (void)edge::tensor_from_proto(p, "/nonexistent-fuzz-dir", "fuzz tensor");
  } catch (const edge::Error& e) {
    if (std::string(e.what()).find("fuzz tensor") == std::string::npos) {
      std::fprintf(stderr, "error does not name the tensor: %s\n", e.what());
      std::abort();
    }
  }
  return 0;
}
