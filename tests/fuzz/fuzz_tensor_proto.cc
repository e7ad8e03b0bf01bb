// libFuzzer target: serialized TensorProto bytes -> tensor_from_proto (typed fields, raw data,
// external references, which must stay inside the given directory).
#include <cstddef>
#include <cstdint>
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
  } catch (const edge::Error&) {
  }
  return 0;
}
