// Backward kernels of part A (lib/train/grads: Conv, MatMul, pools, shape ops) against
// central finite differences (train_grad_check.h), over random shapes and every attribute
// of each op.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "kernel_test_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;

namespace {

// Distinct values spaced 0.01 apart in random order: every pooling window has a unique
// maximum at least 0.01 above the rest, ten times the finite-difference step, so central
// differences never move the argmax.
Tensor distinct_tensor(const Shape& shape, uint64_t seed) {
  Tensor t(DType::kFloat, shape);
  std::vector<int64_t> order(static_cast<size_t>(t.numel()));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(order[static_cast<size_t>(i)]) * 0.01f - 1.f;
  return t;
}

struct ConvSpec {
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides, pads, dilations;
  std::string auto_pad;
  bool bias = true;
};

void check_conv(const ConvSpec& s, uint64_t seed) {
  std::vector<std::optional<Tensor>> in{random_tensor(s.x, seed), random_tensor(s.w, seed + 1)};
  if (s.bias) in.push_back(random_tensor({s.w[0]}, seed + 2));
  NodeGradCase c("Conv", 17, "", in);
  c.attrs = [s](onnx::NodeProto& n) {
    if (s.group != 1) test::add_int_attr(n, "group", s.group);
    if (!s.strides.empty()) test::add_ints_attr(n, "strides", s.strides);
    if (!s.pads.empty()) test::add_ints_attr(n, "pads", s.pads);
    if (!s.dilations.empty()) test::add_ints_attr(n, "dilations", s.dilations);
    if (!s.auto_pad.empty()) test::add_string_attr(n, "auto_pad", s.auto_pad);
  };
  check_node_gradients(c);
}

}  // namespace

TEST_CASE("grad: Conv 2-D with groups, strides, pads, dilations and bias", "[train]") {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return static_cast<int64_t>(std::uniform_int_distribution<int>(lo, hi)(rng)); };
  for (int64_t group : {1, 2, 4}) {
    for (int trial = 0; trial < 3; ++trial) {
      ConvSpec s;
      const int64_t C = 4, M = group * pick(1, 2), kh = pick(1, 3), kw = pick(1, 3);
      s.x = {pick(1, 2), C, pick(5, 8), pick(5, 8)};
      s.w = {M, C / group, kh, kw};
      s.group = group;
      s.strides = {pick(1, 2), pick(1, 3)};
      s.pads = {pick(0, 2), pick(0, 1), pick(0, 1), pick(0, 2)};
      s.dilations = {pick(1, 2), pick(1, 2)};
      s.bias = trial != 1;
      INFO("group " << group << " trial " << trial << " W " << s.w[0] << "x" << s.w[1] << "x" << kh << "x" << kw);
      check_conv(s, 100 + static_cast<uint64_t>(group * 10 + trial));
    }
  }
}

TEST_CASE("grad: depthwise Conv (group = channels, channel multiplier 2)", "[train]") {
  check_conv({{2, 3, 6, 7}, {6, 1, 3, 3}, 3, {2, 1}, {1, 1, 1, 1}, {}, "", true}, 200);
  check_conv({{1, 4, 5, 5}, {4, 1, 3, 3}, 4, {}, {}, {2, 2}, "", false}, 210);
}

TEST_CASE("grad: Conv auto_pad SAME_UPPER, SAME_LOWER and VALID", "[train]") {
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    INFO("auto_pad " << ap);
    // Even kernel with stride 2: SAME_UPPER and SAME_LOWER put the odd pad on different sides.
    check_conv({{1, 2, 7, 6}, {3, 2, 2, 4}, 1, {2, 2}, {}, {}, ap, true}, 300);
    check_conv({{2, 2, 6, 5}, {4, 1, 3, 3}, 2, {1, 2}, {}, {1, 2}, ap, false}, 310);
  }
}

TEST_CASE("grad: Conv 1x1 (no patch matrix), 1-D and 3-D", "[train]") {
  check_conv({{2, 6, 4, 3}, {5, 6, 1, 1}, 1, {}, {}, {}, "", true}, 400);
  check_conv({{2, 6, 4, 3}, {4, 3, 1, 1}, 2, {2, 1}, {}, {}, "", true}, 410);
  check_conv({{2, 3, 11}, {4, 3, 3}, 1, {2}, {1, 2}, {2}, "", true}, 420);
  check_conv({{1, 4, 9}, {4, 2, 4}, 2, {1}, {}, {}, "SAME_LOWER", true}, 425);
  check_conv({{1, 2, 5, 4, 6}, {3, 2, 2, 3, 2}, 1, {1, 2, 2}, {1, 0, 1, 0, 1, 1}, {2, 1, 1}, "", true}, 430);
}

TEST_CASE("grad: MatMul with 1-D operands and broadcast batches", "[train]") {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{5}, {5}},           {{4}, {4, 3}},          {{3, 4}, {4}},          {{3, 4}, {4, 5}},
      {{2, 3, 4}, {4, 5}},  {{4, 5}, {2, 5, 3}},    {{2, 1, 3, 4}, {3, 4, 2}}, {{2, 3, 4}, {2, 4, 5}},
      {{4}, {2, 4, 3}},     {{2, 3, 4}, {4}},       {{1, 3, 4}, {2, 4, 2}},
  };
  uint64_t seed = 500;
  for (const auto& [a, b] : shapes) {
    INFO("A rank " << a.size() << " B rank " << b.size() << " seed " << seed);
    check_node_gradients(NodeGradCase("MatMul", 13, "", {random_tensor(a, seed), random_tensor(b, seed + 1)}));
    seed += 2;
  }
}

namespace {

struct PoolSpec {
  std::vector<int64_t> kernel, strides, pads, dilations;
  bool ceil = false;
  std::string auto_pad;
};

NodeGradCase pool_case(const std::string& op, const Shape& x, const PoolSpec& s, uint64_t seed, int outputs = 1) {
  NodeGradCase c(op, op == "MaxPool" ? 12 : 19, "", {distinct_tensor(x, seed)}, outputs);
  c.attrs = [s](onnx::NodeProto& n) {
    test::add_ints_attr(n, "kernel_shape", s.kernel);
    if (!s.strides.empty()) test::add_ints_attr(n, "strides", s.strides);
    if (!s.pads.empty()) test::add_ints_attr(n, "pads", s.pads);
    if (!s.dilations.empty()) test::add_ints_attr(n, "dilations", s.dilations);
    if (s.ceil) test::add_int_attr(n, "ceil_mode", 1);
    if (!s.auto_pad.empty()) test::add_string_attr(n, "auto_pad", s.auto_pad);
  };
  return c;
}

}  // namespace

TEST_CASE("grad: MaxPool with strides, pads, dilations, ceil_mode and Indices", "[train]") {
  const std::vector<PoolSpec> specs = {
      {{2, 2}, {2, 2}, {}, {}, false, ""},       {{3, 3}, {2, 2}, {1, 1, 1, 1}, {}, true, ""},
      {{2, 3}, {1, 2}, {0, 1, 1, 0}, {2, 1}, false, ""}, {{3, 2}, {2, 3}, {}, {}, true, ""},
      {{3, 3}, {2, 2}, {}, {}, false, "SAME_UPPER"},      {{2, 2}, {1, 1}, {}, {2, 2}, false, "VALID"},
  };
  uint64_t seed = 600;
  for (const auto& s : specs) {
    INFO("spec " << seed - 600);
    check_node_gradients(pool_case("MaxPool", {2, 3, 7, 8}, s, seed++));
  }
  // Indices output (int64) present: it carries no gradient, Y's gradient still flows.
  check_node_gradients(pool_case("MaxPool", {1, 2, 6, 6}, {{2, 2}, {2, 2}, {}, {}, false, ""}, 620, 2));
  check_node_gradients(pool_case("MaxPool", {2, 2, 9}, {{3}, {2}, {1, 1}, {}, true, ""}, 630));
  check_node_gradients(pool_case("MaxPool", {1, 2, 4, 5, 4}, {{2, 2, 2}, {2, 1, 2}, {}, {}, false, ""}, 640));
}

TEST_CASE("grad: AveragePool with count_include_pad both ways and ceil_mode", "[train]") {
  for (int include_pad = 0; include_pad < 2; ++include_pad) {
    const std::vector<PoolSpec> specs = {
        {{3, 3}, {2, 2}, {1, 1, 1, 1}, {}, false, ""},
        {{3, 2}, {2, 2}, {1, 0, 0, 1}, {}, true, ""},
        {{2, 2}, {3, 2}, {}, {}, true, ""},
        {{3, 3}, {2, 1}, {}, {1, 2}, false, "SAME_LOWER"},
    };
    uint64_t seed = 700;
    for (const auto& s : specs) {
      INFO("count_include_pad " << include_pad << " spec " << seed - 700);
      NodeGradCase c = pool_case("AveragePool", {2, 2, 7, 6}, s, seed++);
      auto base = c.attrs;
      c.attrs = [base, include_pad](onnx::NodeProto& n) {
        base(n);
        test::add_int_attr(n, "count_include_pad", include_pad);
      };
      check_node_gradients(c);
    }
  }
  check_node_gradients(pool_case("AveragePool", {2, 3, 10}, {{4}, {3}, {2, 1}, {}, true, ""}, 720));
}

TEST_CASE("grad: GlobalAveragePool and GlobalMaxPool", "[train]") {
  check_node_gradients(NodeGradCase("GlobalAveragePool", 17, "", {random_tensor({2, 3, 4, 5}, 800)}));
  check_node_gradients(NodeGradCase("GlobalAveragePool", 17, "", {random_tensor({2, 3, 7}, 801)}));
  check_node_gradients(NodeGradCase("GlobalMaxPool", 17, "", {distinct_tensor({2, 3, 4, 5}, 802)}));
  check_node_gradients(NodeGradCase("GlobalMaxPool", 17, "", {distinct_tensor({1, 2, 2, 3, 2}, 803)}));
}
