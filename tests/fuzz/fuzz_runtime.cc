// libFuzzer target: model bytes -> Session::create (prepare) -> run on deterministic inputs.
// Allocations are capped so that hostile shapes fail with an error rather than exhausting memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "run_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    edge::fuzz::prepare_and_run(edge::load_model_from_bytes(bytes, "fuzz.onnx"));
  } catch (const edge::Error&) {
  }
  return 0;
}
