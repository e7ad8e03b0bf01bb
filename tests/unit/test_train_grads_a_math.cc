// Part A backward kernels of the element-wise ops (Sub, Mul, Div, Pow with broadcasting; Neg,
// Sqrt, Exp, Log, Abs; the activations) against central finite differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernel_test_util.h"
#include "train/grad_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;

namespace {

// Moves every element that lies within 0.05 of a kink (where the op's derivative jumps) 0.1
// away from it, so that central differences with step 1e-3 never straddle a kink.
Tensor away_from(Tensor t, std::initializer_list<float> kinks) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    float& v = t.data<float>()[i];
    for (float k : kinks) {
      if (std::abs(v - k) < 0.05f) v = k + 0.1f;
    }
  }
  return t;
}

void add_float_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

const std::vector<std::pair<Shape, Shape>> kBroadcastShapes = {
    {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{4}, {2, 3, 4}}, {{}, {2, 2}}, {{2, 1, 3}, {1, 4, 1}},
};

}  // namespace

TEST_CASE("grad: Sub, Mul and Div with broadcasting", "[train]") {
  uint64_t seed = 1000;
  for (const auto& [a, b] : kBroadcastShapes) {
    INFO("seed " << seed);
    check_node_gradients(NodeGradCase("Sub", 14, "", {random_tensor(a, seed), random_tensor(b, seed + 1)}));
    check_node_gradients(NodeGradCase("Mul", 14, "", {random_tensor(a, seed + 2), random_tensor(b, seed + 3)}));
    // Divisors in [0.5, 1.5] with both signs: far from 0, where 1/B blows up.
    Tensor den = random_tensor(b, seed + 5, 0.5f, 1.5f);
    for (int64_t i = 0; i < den.numel(); i += 2) den.data<float>()[i] = -den.data<float>()[i];
    check_node_gradients(NodeGradCase("Div", 14, "", {random_tensor(a, seed + 4), den}));
    seed += 10;
  }
}

TEST_CASE("grad: Pow (base and exponent, broadcast; integer exponent; negative base)", "[train]") {
  // Positive bases: both gradients are defined.
  check_node_gradients(
      NodeGradCase("Pow", 15, "", {random_tensor({2, 3}, 1100, 0.5f, 2.f), random_tensor({3}, 1101, -1.5f, 2.f)}));
  check_node_gradients(
      NodeGradCase("Pow", 15, "", {random_tensor({3}, 1102, 0.5f, 2.f), random_tensor({2, 3}, 1103, -1.f, 3.f)}));
  // An integer exponent tensor carries no gradient.
  check_node_gradients(NodeGradCase("Pow", 15, "", {random_tensor({2, 4}, 1104), Tensor::from_vector<int64_t>({}, {3})}));
  // Negative bases with an integral float exponent: only the base's gradient exists (the
  // exponent's would need ln of a negative number; finite differences of it are NaN).
  NodeGradCase neg("Pow", 15, "", {random_tensor({5}, 1105, -2.f, -0.5f), Tensor::scalar<float>(2.f)});
  neg.check = {0};
  check_node_gradients(neg);
}

TEST_CASE("grad: Neg, Sqrt, Exp, Log, Abs", "[train]") {
  check_node_gradients(NodeGradCase("Neg", 13, "", {random_tensor({3, 4}, 1200)}));
  check_node_gradients(NodeGradCase("Sqrt", 13, "", {random_tensor({3, 4}, 1201, 0.2f, 2.f)}));
  check_node_gradients(NodeGradCase("Exp", 13, "", {random_tensor({3, 4}, 1202, -2.f, 2.f)}));
  check_node_gradients(NodeGradCase("Log", 13, "", {random_tensor({3, 4}, 1203, 0.2f, 3.f)}));
  check_node_gradients(NodeGradCase("Abs", 13, "", {away_from(random_tensor({3, 4}, 1204), {0.f})}));
}

TEST_CASE("grad: LeakyRelu and Clip (bounds as attributes before opset 11, inputs after)", "[train]") {
  const Tensor x = away_from(random_tensor({4, 5}, 1300, -2.f, 2.f), {0.f, -0.5f, 0.7f});
  check_node_gradients(NodeGradCase("LeakyRelu", 16, "", {x}));
  NodeGradCase lr("LeakyRelu", 16, "", {x});
  lr.attrs = [](onnx::NodeProto& n) { add_float_attr(n, "alpha", 0.3f); };
  check_node_gradients(lr);
  NodeGradCase c6("Clip", 6, "", {x});
  c6.attrs = [](onnx::NodeProto& n) {
    add_float_attr(n, "min", -0.5f);
    add_float_attr(n, "max", 0.7f);
  };
  check_node_gradients(c6);
  check_node_gradients(NodeGradCase("Clip", 6, "", {x}));  // defaults: unbounded
  const Tensor lo = Tensor::scalar<float>(-0.5f), hi = Tensor::scalar<float>(0.7f);
  for (const auto& [min, max] : std::vector<std::pair<std::optional<Tensor>, std::optional<Tensor>>>{
           {lo, hi}, {lo, std::nullopt}, {std::nullopt, hi}}) {
    INFO("min " << min.has_value() << " max " << max.has_value());
    NodeGradCase c("Clip", 13, "", {x, min, max});
    c.check = {0};  // the bounds are not differentiable
    check_node_gradients(c);
  }
}

TEST_CASE("grad: Sigmoid, Tanh, Erf, Softplus", "[train]") {
  const Tensor x = random_tensor({3, 2, 4}, 1400, -3.f, 3.f);
  for (const char* op : {"Sigmoid", "Tanh", "Erf", "Softplus"}) {
    INFO(op);
    check_node_gradients(NodeGradCase(op, 13, "", {x}));
  }
}

TEST_CASE("grad: Gelu (opset 20) exact and tanh approximation", "[train]") {
  const Tensor x = random_tensor({4, 6}, 1500, -3.f, 3.f);
  check_node_gradients(NodeGradCase("Gelu", 20, "", {x}));
  NodeGradCase t("Gelu", 20, "", {x});
  t.attrs = [](onnx::NodeProto& n) { test::add_string_attr(n, "approximate", "tanh"); };
  check_node_gradients(t);
}

TEST_CASE("grad: HardSigmoid, HardSwish, Elu, Selu with their attributes", "[train]") {
  // HardSigmoid defaults (alpha 0.2, beta 0.5) bend at -2.5 and 2.5; alpha 0.5, beta 0.4 at -0.8 and 1.2.
  const Tensor x = away_from(random_tensor({5, 6}, 1600, -4.f, 4.f), {-2.5f, 2.5f, -0.8f, 1.2f, -3.f, 3.f, 0.f});
  check_node_gradients(NodeGradCase("HardSigmoid", 6, "", {x}));
  NodeGradCase hs("HardSigmoid", 6, "", {x});
  hs.attrs = [](onnx::NodeProto& n) {
    add_float_attr(n, "alpha", 0.5f);
    add_float_attr(n, "beta", 0.4f);
  };
  check_node_gradients(hs);
  check_node_gradients(NodeGradCase("HardSwish", 14, "", {x}));
  check_node_gradients(NodeGradCase("Elu", 6, "", {x}));
  NodeGradCase elu("Elu", 6, "", {x});
  elu.attrs = [](onnx::NodeProto& n) { add_float_attr(n, "alpha", 0.4f); };
  check_node_gradients(elu);
  check_node_gradients(NodeGradCase("Selu", 6, "", {x}));
  NodeGradCase selu("Selu", 6, "", {x});
  selu.attrs = [](onnx::NodeProto& n) {
    add_float_attr(n, "alpha", 1.2f);
    add_float_attr(n, "gamma", 0.9f);
  };
  check_node_gradients(selu);
}

TEST_CASE("reduce_to_shape sums a broadcast gradient like a plain loop over every element", "[train]") {
  const Shape gs{2, 3, 4, 5};
  const Tensor g = random_tensor(gs, 1700);
  const std::vector<Shape> targets = {{3, 1, 5}, {2, 1, 4, 1}, {1}, {5}, {}, {4, 1}, {2, 3, 1, 1}, {1, 3, 4, 5}, {2, 3, 4, 5}};
  for (const Shape& t : targets) {
    INFO("target rank " << t.size() << " numel " << shape_numel(t));
    const Tensor r = train::reduce_to_shape(g, t);
    REQUIRE(r.shape() == t);
    // Reference in double: element (a, b, c, d) of g goes to the target index with broadcast dims at 0.
    std::vector<double> want(static_cast<size_t>(shape_numel(t)), 0.0);
    const size_t off = gs.size() - t.size();
    for (int64_t i = 0; i < g.numel(); ++i) {
      int64_t rest = i, idx = 0, mul = 1;
      for (size_t d = gs.size(); d-- > 0;) {
        const int64_t c = rest % gs[d];
        rest /= gs[d];
        if (d >= off) {
          const int64_t td = t[d - off];
          idx += (td == 1 ? 0 : c) * mul;
          mul *= td;
        }
      }
      want[static_cast<size_t>(idx)] += g.data<float>()[i];
    }
    for (size_t j = 0; j < want.size(); ++j) CHECK(std::abs(r.data<float>()[j] - want[j]) <= 1e-5 * (1 + std::abs(want[j])));
  }
}
