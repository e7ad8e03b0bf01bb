// Helpers for pass tests: run a pass by name and check the result (ONNX checker, shape
// inference), count ops, compare two models' outputs on the same inputs.
#pragma once

#include <spdlog/logger.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "ir/model.h"
#include "ir/tensor_compare.h"
#include "pass/context.h"
#include "pass/registry.h"
#include "runtime/session.h"

namespace edge::test {

inline std::filesystem::path source_dir() {
#ifdef EDGE_SOURCE_DIR
  return EDGE_SOURCE_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

// Runs one pass on a copy of `m`, then checks the result with the ONNX checker and shape
// inference. Stage metrics and layer rows land in `stage` when given.
inline Model apply(const Model& m, const std::string& name, const std::map<std::string, std::string>& opts = {},
            report::StageRecord* stage = nullptr) {
  const auto& info = pass::find_pass(name);
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  report::StageRecord local;
  ctx.stage = stage ? stage : &local;
  Model out = m;
  ctx.run_pass(info, pass::make_options(info, opts), out);
  out.check();
  Model inferred = out;
  inferred.infer_shapes();
  for (const auto& w : inferred.warnings()) REQUIRE(w.find("stopped early") == std::string::npos);
  return out;
}

inline int count_op(const Model& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op ? 1 : 0;
  return n;
}

// Random float inputs (dynamic dims = batch), the same for both models.
inline rt::NamedTensors random_feeds(const Model& m, int64_t batch, uint32_t seed) {
  auto s = rt::Session::create(m);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  rt::NamedTensors feeds;
  for (const auto& in : s->inputs()) {
    Shape shape = in.shape;
    for (auto& d : shape) d = d < 0 ? batch : d;
    Tensor t(DType::kFloat, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    feeds.emplace_back(in.name, t);
  }
  return feeds;
}

// Largest element difference over all outputs (compare_tensors: a NaN or infinity on one
// side only is an infinite difference; NaN against NaN counts as equal).
inline double max_diff(const Model& a, const Model& b, const rt::NamedTensors& feeds) {
  auto ra = rt::Session::create(a)->run(feeds);
  auto rb = rt::Session::create(b)->run(feeds);
  REQUIRE(ra.size() == rb.size());
  double d = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    REQUIRE(ra[i].first == rb[i].first);
    CompareResult c = compare_tensors(rb[i].second, ra[i].second, 0, 0);
    INFO(ra[i].first << ": " << c.shape_error);
    REQUIRE(c.shape_ok);
    d = std::max(d, c.max_abs);
  }
  return d;
}

inline double max_diff(const Model& a, const Model& b, int64_t batch = 2) {
  return max_diff(a, b, random_feeds(a, batch, 7));
}

}  // namespace edge::test
