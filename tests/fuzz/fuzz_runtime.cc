// libFuzzer target: model bytes -> Session::create (prepare) -> run on deterministic inputs.
// Allocations are capped so that hostile shapes fail with an error rather than exhausting memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ir/model.h"
#include "runtime/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool once = [] {
    edge::set_max_tensor_bytes(uint64_t{64} << 20);
    return true;
  }();
  (void)once;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    edge::Model m = edge::load_model_from_bytes(bytes, "fuzz.onnx");
    auto s = edge::rt::Session::create(std::move(m));
    edge::rt::NamedTensors feeds;
    for (const auto& in : s->inputs()) {
      edge::Shape shape = in.shape;
      for (auto& d : shape) {
        if (d < 0) d = 2;
      }
      edge::Tensor t(in.dtype == edge::DType::kUndefined ? edge::DType::kFloat : in.dtype, shape);
      for (int64_t i = 0; i < t.numel() && t.dtype() == edge::DType::kFloat; ++i) {
        t.data<float>()[i] = static_cast<float>(i % 7) - 3.f;
      }
      feeds.emplace_back(in.name, std::move(t));
    }
    s->run(feeds);
  } catch (const edge::Error&) {
  }
  return 0;
}
