// libFuzzer target: model bytes -> parse, ONNX checker, shape inference, summary (in the
// runtime-only build: parse and our structural validation, graph_check.h). Any edge::Error
// is an accepted outcome; crashes, leaks, UB and hangs are findings.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ir/model.h"
#ifndef EDGE_RUNTIME_ONLY
#include "ir/model_summary.h"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    edge::Model m = edge::load_model_from_bytes(bytes, "fuzz.onnx");
#ifndef EDGE_RUNTIME_ONLY
    (void)edge::summarize_model(m);
#else
    (void)m;
#endif
  } catch (const edge::Error&) {
  }
  return 0;
}
