// Finite-difference checks of backward kernels (lib/train): one node, or a whole model,
// run through train::TrainGraph. The loss is L = sum_o sum(W_o * Y_o) with fixed random
// weights W_o, so every output element matters. For each checked input, the analytic
// gradient from backward() is compared with central differences of L (in double over the
// float32 forward): |analytic - numeric| <= rtol * max(|analytic|, |numeric|) + atol * scale,
// where scale is the largest analytic gradient of that input. Wrong gradients (a missing
// term, a transposed operand, a wrong stride) are off by far more than these tolerances.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "ir/tensor_proto.h"
#include "train/autodiff.h"

namespace edge::test {

// Uniform random float32 tensor in [lo, hi).
inline Tensor random_tensor(const Shape& shape, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t(DType::kFloat, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  return t;
}

struct GradCheckOptions {
  double eps = 1e-3;       // finite-difference step
  double rtol = 2e-2;
  double atol = 2e-3;      // times the largest analytic gradient of the input
  int max_elements = 48;   // checked elements per input (spread over the tensor)
  bool bn_training = false;
};

// Checks dL/dparam for every name in `params` (float initializers of `model`), feeding
// `feeds` to the data inputs.
inline void check_model_gradients(const Model& model, const std::vector<std::string>& params,
                                  const rt::NamedTensors& feeds, const GradCheckOptions& o = {}) {
  train::TrainGraphOptions topts;
  topts.bn_training = o.bn_training;
  train::TrainGraph g(model, params, topts);
  train::Tape tape;
  g.forward(feeds, tape);
  std::vector<std::pair<std::string, Tensor>> seeds;
  for (size_t k = 0; k < g.output_names().size(); ++k) {
    const Tensor& y = g.value(tape, g.output_names()[k]);
    if (y.dtype() != DType::kFloat) continue;
    seeds.emplace_back(g.output_names()[k], random_tensor(y.shape(), 1000 + k));
  }
  REQUIRE(!seeds.empty());
  auto loss = [&]() {
    train::Tape t;
    g.forward(feeds, t);
    double l = 0;
    for (const auto& [name, w] : seeds) {
      const Tensor& y = g.value(t, name);
      for (int64_t i = 0; i < y.numel(); ++i) l += static_cast<double>(w.data<float>()[i]) * y.data<float>()[i];
    }
    return l;
  };
  std::vector<Tensor> grads;
  g.backward(tape, seeds, grads);
  for (size_t k = 0; k < params.size(); ++k) {
    INFO("parameter " << params[k]);
    Tensor& p = g.params()[k];
    REQUIRE(grads.size() == params.size());
    REQUIRE(grads[k].defined());
    REQUIRE(grads[k].shape() == p.shape());
    double scale = 0;
    for (int64_t i = 0; i < p.numel(); ++i) scale = std::max(scale, std::abs(static_cast<double>(grads[k].data<float>()[i])));
    const int64_t step = std::max<int64_t>(1, p.numel() / o.max_elements);
    for (int64_t i = 0; i < p.numel(); i += step) {
      float* v = p.data<float>() + i;
      const float saved = *v;
      *v = static_cast<float>(saved + o.eps);
      const double up = loss();
      *v = static_cast<float>(saved - o.eps);
      const double down = loss();
      *v = saved;
      const double numeric = (up - down) / (2 * o.eps);
      const double analytic = grads[k].data<float>()[i];
      INFO("element " << i << ": analytic " << analytic << ", numeric " << numeric);
      CHECK(std::abs(analytic - numeric) <= o.rtol * std::max(std::abs(analytic), std::abs(numeric)) + o.atol * scale + 1e-6);
    }
  }
}

// One node `op` whose inputs are initializers x0, x1, ... (nullopt: omitted) and outputs
// y0..y{outputs-1}. Checks the gradients of the inputs in `check` (default: every float
// input).
struct NodeGradCase {
  NodeGradCase(std::string o, int v, std::string d, std::vector<std::optional<Tensor>> in, int outs = 1)
      : op(std::move(o)), opset(v), domain(std::move(d)), inputs(std::move(in)), outputs(outs) {}
  std::string op;
  int opset = 17;
  std::string domain;
  std::vector<std::optional<Tensor>> inputs;
  int outputs = 1;
  std::function<void(onnx::NodeProto&)> attrs;
  std::vector<int> check;  // empty: every float32 input
  GradCheckOptions options;
};

inline Model node_model(const NodeGradCase& c) {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  auto* imp = mp.add_opset_import();
  imp->set_domain(c.domain);
  imp->set_version(c.opset);
  auto* g = mp.mutable_graph();
  g->set_name("grad_check");
  auto* n = g->add_node();
  n->set_op_type(c.op);
  n->set_domain(c.domain);
  n->set_name("n");
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const std::string name = c.inputs[i] ? "x" + std::to_string(i) : "";
    n->add_input(name);
    if (c.inputs[i]) *g->add_initializer() = tensor_to_proto(*c.inputs[i], name);
  }
  for (int o = 0; o < c.outputs; ++o) {
    n->add_output("y" + std::to_string(o));
    g->add_output()->set_name("y" + std::to_string(o));
  }
  if (c.attrs) c.attrs(*n);
  return Model(std::move(mp));
}

inline void check_node_gradients(const NodeGradCase& c) {
  std::vector<std::string> params;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const bool listed = c.check.empty() || std::count(c.check.begin(), c.check.end(), static_cast<int>(i)) > 0;
    if (c.inputs[i] && c.inputs[i]->dtype() == DType::kFloat && listed) params.push_back("x" + std::to_string(i));
  }
  INFO(c.op << " gradients");
  const Model m = node_model(c);
  check_model_gradients(m, params, {}, c.options);
}

}  // namespace edge::test
