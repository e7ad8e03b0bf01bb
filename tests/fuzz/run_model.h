// What the runtime fuzz targets do with a model that loaded: prepare a session (kernel choice,
// prepacking, memory plan) and run it once on deterministic inputs, with every tensor capped at
// 64 MiB so that hostile shapes fail with an error rather than exhausting memory.
#pragma once

#include <cstdint>
#include <utility>

#include "ir/model.h"
#include "runtime/session.h"

namespace edge::fuzz {

inline void prepare_and_run(edge::Model m) {
  static const bool capped = [] {
    edge::set_max_tensor_bytes(uint64_t{64} << 20);
    return true;
  }();
  (void)capped;
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
}

}  // namespace edge::fuzz
