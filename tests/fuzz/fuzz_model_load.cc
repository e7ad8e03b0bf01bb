// libFuzzer target: model bytes -> parse, ONNX checker, shape inference, summary.
// Any edge::Error is an accepted outcome; crashes, leaks, UB and hangs are findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ir/model.h"
#include "ir/model_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    edge::Model m = edge::load_model_from_bytes(bytes, "fuzz.onnx");
    (void)edge::summarize_model(m);
  } catch (const edge::Error&) {
  }
  return 0;
}
