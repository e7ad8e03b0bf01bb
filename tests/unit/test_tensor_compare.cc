// NaN and infinity in the tensor comparisons that tests and `edge-run check` rely on: a NaN
// (or infinity) on one side only is a mismatch that max_abs cannot hide.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "ir/tensor_compare.h"
#include "ir/text_format.h"
#include "pass_test_util.h"

using namespace edge;

namespace {
const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
Tensor vec(std::vector<float> v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }
}  // namespace

TEST_CASE("compare_tensors: NaN on one side only is a mismatch with an infinite max_abs") {
  for (auto [got, want] : {std::pair{vec({1, kNan}), vec({1, 2})}, std::pair{vec({1, 2}), vec({1, kNan})}}) {
    CompareResult r = compare_tensors(got, want, 1e9, 1e9);  // no tolerance excuses a NaN
    REQUIRE_FALSE(r.passed());
    REQUIRE(r.mismatches == 1);
    REQUIRE(r.first_mismatch == 1);
    REQUIRE(r.max_abs == std::numeric_limits<double>::infinity());
    REQUIRE_FALSE(r.max_abs < 1e-4);
  }
}

TEST_CASE("compare_tensors: NaN against NaN and equal infinities match (ONNX node tests)") {
  CompareResult r = compare_tensors(vec({kNan, kInf, -kInf, 3}), vec({kNan, kInf, -kInf, 3}), 0, 0);
  REQUIRE(r.passed());
  REQUIRE(r.max_abs == 0);
  REQUIRE_FALSE(compare_tensors(vec({kInf}), vec({-kInf}), 1e9, 1e9).passed());
  REQUIRE_FALSE(compare_tensors(vec({kInf}), vec({1e30f}), 1e9, 1e9).passed());
  REQUIRE_FALSE(compare_tensors(vec({kNan}), vec({kInf}), 1e9, 1e9).passed());
}

TEST_CASE("max_diff between two models reports a NaN one of them produces") {
  // sqrt(x) is NaN for x < 0; sqrt(|x|) is not.
  Model a = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y) {
  y = Sqrt(x)
})");
  Model b = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 4] x) => (float[N, 4] y) {
  t = Abs(x)
  y = Sqrt(t)
})");
  rt::NamedTensors positive = {{"x", Tensor::from_vector<float>({1, 4}, {1, 2, 3, 4})}};
  rt::NamedTensors negative = {{"x", Tensor::from_vector<float>({1, 4}, {1, -2, 3, 4})}};
  REQUIRE(test::max_diff(a, b, positive) == 0);
  REQUIRE_FALSE(test::max_diff(a, b, negative) < 1e-4);
  REQUIRE(test::max_diff(a, a, negative) == 0);  // the same NaN on both sides
}
