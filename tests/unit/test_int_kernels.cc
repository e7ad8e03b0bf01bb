// Integer kernels on small cases computed by hand (the arithmetic is in the comments), and
// QuantizeLinear/DequantizeLinear at the opsets a model cannot carry here (19, 21).
#include <catch2/catch.hpp>

#include "kernel_test_util.h"
#include "runtime/graph_fusion.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;
using test::values_of;

namespace {

template <typename T>
Tensor t(const Shape& shape, const std::vector<T>& v) {
  return Tensor::from_vector<T>(shape, v);
}
Tensor f32(float v) { return Tensor::scalar<float>(v); }
Tensor u8(uint8_t v) { return Tensor::scalar<uint8_t>(v); }

}  // namespace

TEST_CASE("QLinearMatMul on hand-computed values rounds half to even") {
  // a real = 0.5 * ([[10,20],[30,40]] - 10) = [[0,5],[10,15]]; b real = 0.25 * [[1,-1],[2,0]]
  // a @ b = [[2.5, 0], [10, -2.5]]; / 0.5 + 128 = [[133, 128], [148, 123]].
  for (bool constant : {false, true}) {
    NodeSpec s{"",
               "QLinearMatMul",
               10,
               {t<uint8_t>({2, 2}, {10, 20, 30, 40}), f32(0.5f), u8(10), t<int8_t>({2, 2}, {1, -1, 2, 0}), f32(0.25f),
                Tensor::scalar<int8_t>(0), f32(0.5f), u8(128)}};
    s.constant_inputs = constant;
    auto y = run_node(s)[0];
    REQUIRE(y.dtype() == DType::kUint8);
    REQUIRE(values_of<uint8_t>(y) == std::vector<uint8_t>{133, 128, 148, 123});
  }
  // 1 * 0.25 * [3, 5, 127] = [0.75, 1.25, 31.75]; / 0.5 = [1.5, 2.5, 63.5] -> [2, 2, 64] (ties to even).
  NodeSpec s{"",
             "QLinearMatMul",
             10,
             {t<uint8_t>({1, 1}, {1}), f32(1.f), u8(0), t<int8_t>({1, 3}, {3, 5, 127}), f32(0.25f),
              Tensor::scalar<int8_t>(0), f32(0.5f), Tensor::scalar<int8_t>(0)}};
  auto y = run_node(s)[0];
  REQUIRE(y.dtype() == DType::kInt8);
  REQUIRE(values_of<int8_t>(y) == std::vector<int8_t>{2, 2, 64});
}

TEST_CASE("QLinearConv with per-channel weights, bias and saturation") {
  // x real = [[0,1,2],[3,4,5],[6,7,8]] (x - 1); w channel 0 = [[1,0],[0,1]] (scale 1), channel 1 =
  // [[1,1],[1,1]] (scale 0.5). Channel 0: 4, 6, 10, 12 (+ bias 1); channel 1: 0.5 * window sums =
  // 4, 6, 10, 12 (+ bias -4 * 0.5 = -2). / y_scale 2: [2.5 3.5 5.5 6.5] -> [2 4 6 6], [1 2 4 5].
  for (bool constant : {false, true}) {
    NodeSpec s{"",
               "QLinearConv",
               10,
               {t<uint8_t>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), f32(1.f), u8(1),
                t<int8_t>({2, 1, 2, 2}, {1, 0, 0, 1, 1, 1, 1, 1}), t<float>({2}, {1.f, 0.5f}), t<int8_t>({2}, {0, 0}),
                f32(2.f), u8(0), t<int32_t>({2}, {1, -4})}};
    s.constant_inputs = constant;
    auto y = run_node(s)[0];
    REQUIRE(y.shape() == Shape{1, 2, 2, 2});
    REQUIRE(values_of<uint8_t>(y) == std::vector<uint8_t>{2, 4, 6, 6, 1, 2, 4, 5});
  }
  // The same with y_scale 0.01: every value passes 255 and saturates; int8 output at -128.
  NodeSpec s{
      "",
      "QLinearConv",
      10,
      {t<uint8_t>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), f32(1.f), u8(1), t<int8_t>({1, 1, 2, 2}, {-1, 0, 0, -1}),
       f32(1.f), Tensor::scalar<int8_t>(0), f32(0.01f), Tensor::scalar<int8_t>(0)}};
  REQUIRE(values_of<int8_t>(run_node(s)[0]) == std::vector<int8_t>{-128, -128, -128, -128});
}

TEST_CASE("QLinearConv in the fused domain folds Relu and Clip into the output range") {
  auto run = [](const char* act, std::vector<float> params) {
    // x real = [-2, -1, 0, 1, 2] (x - 3), w = 1, y_scale 0.5, y_zero_point 10.
    NodeSpec s{rt::kFusedDomain,
               "QLinearConv",
               1,
               {t<uint8_t>({1, 1, 5}, {1, 2, 3, 4, 5}), f32(1.f), u8(3), t<int8_t>({1, 1, 1}, {1}), f32(1.f),
                Tensor::scalar<int8_t>(0), f32(0.5f), u8(10)}};
    s.attrs = [=](onnx::NodeProto& n) {
      if (act) {
        test::add_string_attr(n, "activation", act);
        test::add_floats_attr(n, "activation_params", params);
      }
    };
    return values_of<uint8_t>(run_node(s)[0]);
  };
  REQUIRE(run(nullptr, {}) == std::vector<uint8_t>{6, 8, 10, 12, 14});
  REQUIRE(run("Relu", {}) == std::vector<uint8_t>{10, 10, 10, 12, 14});
  REQUIRE(run("Clip", {-1.f, 0.5f}) == std::vector<uint8_t>{8, 8, 10, 11, 11});
}

TEST_CASE("ConvInteger pads with the zero point") {
  // x - 5 = [[0,1],[2,3]], zero-padded by 1, summed over 2x2 windows of ones.
  for (bool constant : {false, true}) {
    NodeSpec s{"",
               "ConvInteger",
               10,
               {t<uint8_t>({1, 1, 2, 2}, {5, 6, 7, 8}), t<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1}), u8(5), u8(0)}};
    s.constant_inputs = constant;
    s.attrs = [](onnx::NodeProto& n) { test::add_ints_attr(n, "pads", {1, 1, 1, 1}); };
    auto y = run_node(s)[0];
    REQUIRE(y.dtype() == DType::kInt32);
    REQUIRE(values_of<int32_t>(y) == std::vector<int32_t>{0, 1, 1, 2, 6, 4, 2, 5, 3});
  }
}

TEST_CASE("MatMulInteger with per-row and per-column zero points") {
  // A - [1, 2] per row = [[2,3],[3,4]]; B - [1, 0] per column = [[0,2],[2,4]].
  NodeSpec s{"",
             "MatMulInteger",
             10,
             {t<uint8_t>({2, 2}, {3, 4, 5, 6}), t<int8_t>({2, 2}, {1, 2, 3, 4}), t<uint8_t>({2}, {1, 2}),
              t<int8_t>({2}, {1, 0})}};
  REQUIRE(values_of<int32_t>(run_node(s)[0]) == std::vector<int32_t>{6, 16, 8, 22});
  // 1-D A [K] times B [K, N] drops the row dim: [3, 4] - 1 = [2, 3]; B - zp as above.
  NodeSpec v{"",
             "MatMulInteger",
             10,
             {t<uint8_t>({2}, {3, 4}), t<int8_t>({2, 2}, {1, 2, 3, 4}), u8(1), t<int8_t>({2}, {1, 0})}};
  auto y = run_node(v)[0];
  REQUIRE(y.shape() == Shape{2});
  REQUIRE(values_of<int32_t>(y) == std::vector<int32_t>{6, 16});
}

TEST_CASE("DynamicQuantizeLinear") {
  // min -3, max 2: scale 5/255, zero point 153; x / scale = [0, 102, -153, -127.49.., 68.34, 30.6].
  NodeSpec s{"", "DynamicQuantizeLinear", 11, {t<float>({6}, {0.f, 2.f, -3.f, -2.5f, 1.34f, 0.6f})}, 3};
  auto out = run_node(s);
  REQUIRE(values_of<uint8_t>(out[0]) == std::vector<uint8_t>{153, 255, 0, 26, 221, 184});
  REQUIRE(out[1].data<float>()[0] == Approx(5.f / 255.f));
  REQUIRE(out[2].data<uint8_t>()[0] == 153);
  // All zeros: scale 0, zero point 0, y 0 (the formula would divide by zero).
  auto z = run_node({"", "DynamicQuantizeLinear", 11, {t<float>({2}, {0.f, 0.f})}, 3});
  REQUIRE(values_of<uint8_t>(z[0]) == std::vector<uint8_t>{0, 0});
  REQUIRE(z[1].data<float>()[0] == 0.f);
}

TEST_CASE("com.microsoft QLinearAdd QLinearMul and QLinearConcat") {
  // A real = 0.1 * ([10, 20] - 10) = [0, 1]; B real = 0.2 * (30 - 20) = 2 (broadcast).
  // Add: [2, 3] / 0.25 + 5 = [13, 17]; Mul: [0, 2] / 0.25 + 5 = [5, 13].
  std::vector<std::optional<Tensor>> in = {
      t<uint8_t>({2}, {10, 20}), f32(0.1f), u8(10), t<uint8_t>({1}, {30}), f32(0.2f), u8(20), f32(0.25f), u8(5)};
  REQUIRE(values_of<uint8_t>(run_node({"com.microsoft", "QLinearAdd", 1, in})[0]) == std::vector<uint8_t>{13, 17});
  REQUIRE(values_of<uint8_t>(run_node({"com.microsoft", "QLinearMul", 1, in})[0]) == std::vector<uint8_t>{5, 13});
  // Concat along axis 1: [4, 6] has Y's parameters (copied); 0.25 * (10 - 2) = 2 -> 4.
  NodeSpec c{
      "com.microsoft",
      "QLinearConcat",
      1,
      {f32(0.5f), u8(0), t<uint8_t>({1, 2}, {4, 6}), f32(0.5f), u8(0), t<uint8_t>({1, 1}, {10}), f32(0.25f), u8(2)}};
  c.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", 1); };
  auto y = run_node(c)[0];
  REQUIRE(y.shape() == Shape{1, 3});
  REQUIRE(values_of<uint8_t>(y) == std::vector<uint8_t>{4, 6, 4});
}

TEST_CASE("com.microsoft QLinearAveragePool and QLinearGlobalAveragePool") {
  // x real = [[0,2],[4,6]]; 2x2 windows with pads 1: sums 0,2,2 / 4,12,8 / 4,10,6 over 1,2,1 /
  // 2,4,2 / 1,2,1 real elements (or 4 each with count_include_pad).
  auto pool = [](int include_pad) {
    NodeSpec s{"com.microsoft",
               "QLinearAveragePool",
               1,
               {t<uint8_t>({1, 1, 2, 2}, {1, 3, 5, 7}), f32(1.f), u8(1), f32(1.f), u8(0)}};
    s.attrs = [=](onnx::NodeProto& n) {
      test::add_ints_attr(n, "kernel_shape", {2, 2});
      test::add_ints_attr(n, "pads", {1, 1, 1, 1});
      test::add_int_attr(n, "count_include_pad", include_pad);
    };
    return values_of<uint8_t>(run_node(s)[0]);
  };
  REQUIRE(pool(0) == std::vector<uint8_t>{0, 1, 2, 2, 3, 4, 4, 5, 6});
  REQUIRE(pool(1) == std::vector<uint8_t>{0, 0, 0, 1, 3, 2, 1, 2, 2});  // 0.5 -> 0, 2.5 -> 2, 1.5 -> 2
  // Channel means of 0.5 * (x - 2): [0, 1] -> 0.5, [4, 4.5] -> 4.25; / 0.25 = [2, 17].
  NodeSpec g{"com.microsoft",
             "QLinearGlobalAveragePool",
             1,
             {t<uint8_t>({1, 2, 1, 2}, {2, 4, 10, 11}), f32(0.5f), u8(2), f32(0.25f), u8(0)}};
  REQUIRE(values_of<uint8_t>(run_node(g)[0]) == std::vector<uint8_t>{2, 17});
  NodeSpec nhwc{"com.microsoft",
                "QLinearGlobalAveragePool",
                1,
                {t<uint8_t>({1, 1, 2, 2}, {2, 10, 4, 11}), f32(0.5f), u8(2), f32(0.25f), u8(0)}};
  nhwc.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "channels_last", 1); };
  auto y = run_node(nhwc)[0];
  REQUIRE(y.shape() == Shape{1, 1, 1, 2});
  REQUIRE(values_of<uint8_t>(y) == std::vector<uint8_t>{2, 17});
}

TEST_CASE("QuantizeLinear and DequantizeLinear across opsets 10-21") {
  // Per axis with a negative axis (opset 13): scales [1, 10] along the last dim.
  NodeSpec q{"",
             "QuantizeLinear",
             13,
             {t<float>({2, 2}, {1.5f, 25.f, -2.5f, 1000.f}), t<float>({2}, {1.f, 10.f}), t<int8_t>({2}, {0, 1})}};
  q.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", -1); };
  REQUIRE(values_of<int8_t>(run_node(q)[0]) == std::vector<int8_t>{2, 3, -2, 101});
  // Per-axis parameters before opset 13 are refused.
  q.opset = 10;
  REQUIRE_THROWS_WITH(run_node(q), Catch::Contains("scalar"));
  // Opset 19: `saturate` only concerns float8; integer outputs saturate as always.
  NodeSpec s19{"", "QuantizeLinear", 19, {t<float>({2}, {300.f, -300.f}), f32(1.f), Tensor::scalar<int8_t>(0)}};
  s19.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "saturate", 0); };
  REQUIRE(values_of<int8_t>(run_node(s19)[0]) == std::vector<int8_t>{127, -128});
  // Opset 21: output_dtype int16 without a zero point.
  NodeSpec s21{"", "QuantizeLinear", 21, {t<float>({2}, {1000.4f, -70000.f}), f32(1.f)}};
  s21.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "output_dtype", 5); };
  auto y16 = run_node(s21)[0];
  REQUIRE(y16.dtype() == DType::kInt16);
  REQUIRE(values_of<int16_t>(y16) == std::vector<int16_t>{1000, -32768});
  // Refused clearly: float8 (FLOAT8E4M3FN = 17) and blocked quantization.
  s21.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "output_dtype", 17); };
  REQUIRE_THROWS_WITH(run_node(s21), Catch::Contains("float8"));
  s21.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "block_size", 2); };
  REQUIRE_THROWS_WITH(run_node(s21), Catch::Contains("block_size"));
  // int16 is an opset-21 type: refused at 13, dequantized at 21.
  NodeSpec dq{"", "DequantizeLinear", 13, {t<int16_t>({2}, {-300, 500}), f32(0.5f), Tensor::scalar<int16_t>(100)}};
  REQUIRE_THROWS_WITH(run_node(dq), Catch::Contains("int16"));
  dq.opset = 21;
  REQUIRE(values_of<float>(run_node(dq)[0]) == std::vector<float>{-200.f, 200.f});
  // int32 input (a bias), per axis.
  NodeSpec dq32{"", "DequantizeLinear", 13, {t<int32_t>({2}, {-4, 6}), t<float>({2}, {0.5f, 0.25f})}};
  dq32.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", 0); };
  REQUIRE(values_of<float>(run_node(dq32)[0]) == std::vector<float>{-2.f, 1.5f});
}

TEST_CASE("integer kernels name the node and the problem in their errors") {
  // A zero point of the wrong type.
  NodeSpec s{"",
             "QLinearMatMul",
             10,
             {t<uint8_t>({1, 1}, {1}), f32(1.f), Tensor::scalar<int8_t>(0), t<int8_t>({1, 1}, {1}), f32(1.f),
              Tensor::scalar<int8_t>(0), f32(1.f), u8(0)}};
  REQUIRE_THROWS_WITH(run_node(s), Catch::Contains("node 'n'") && Catch::Contains("zero point"));
  // A non-positive scale.
  NodeSpec z{"",
             "QLinearConv",
             10,
             {t<uint8_t>({1, 1, 1}, {1}), f32(0.f), u8(0), t<int8_t>({1, 1, 1}, {1}), f32(1.f),
              Tensor::scalar<int8_t>(0), f32(1.f), u8(0)}};
  REQUIRE_THROWS_WITH(run_node(z), Catch::Contains("positive"));
  // float weights to an integer kernel.
  NodeSpec f{"", "ConvInteger", 10, {t<uint8_t>({1, 1, 1}, {1}), t<float>({1, 1, 1}, {1.f})}};
  REQUIRE_THROWS_WITH(run_node(f), Catch::Contains("W must be uint8 or int8"));
}
