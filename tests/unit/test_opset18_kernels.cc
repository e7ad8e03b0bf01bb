// Reference kernels for the semantics of ai.onnx opsets 18-21, against values worked out by hand
// from the ONNX operator specs (tests/cli/test_opset18_21.sh checks the same ops against ONNX
// Runtime on random inputs).
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "ir/model.h"
#include "ir/opset_changes.h"
#include "ir/text_format.h"
#include "runtime/kernel_registry.h"
#include "runtime/session.h"

using namespace edge;

namespace {

// Runs a model given in ONNX text syntax and returns its outputs in order.
std::vector<Tensor> run(const std::string& text, const rt::NamedTensors& feeds = {}) {
  auto s = rt::Session::create(parse_model_text(text));
  std::vector<Tensor> out;
  for (auto& [name, t] : s->run(feeds)) out.push_back(std::move(t));
  return out;
}

std::vector<float> floats(const Tensor& t) { return t.to_float_vector(); }

void require_near(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(tol));
  }
}

}  // namespace

TEST_CASE("Pad-18 axes input and Pad-19 wrap mode") {
  auto out = run(R"(
<ir_version: 9, opset_import: ["" : 19]>
g () => (float[2, 6] wrap, float[3, 3] axes)
<float[2, 3] x = {1, 2, 3, 4, 5, 6}, int64[4] pa_all = {0, 2, 0, 1}, int64[2] pa = {1, 0}, int64[1] ax = {0},
 float v = {9}>
{
  wrap = Pad <mode = "wrap"> (x, pa_all)
  axes = Pad (x, pa, v, ax)
}
)");
  REQUIRE(out[0].shape() == Shape{2, 6});
  // wrap: columns ... 2 3 | 1 2 3 | 1
  REQUIRE(floats(out[0]) == std::vector<float>{2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4});
  REQUIRE(out[1].shape() == Shape{3, 3});
  REQUIRE(floats(out[1]) == std::vector<float>{9, 9, 9, 1, 2, 3, 4, 5, 6});
}

TEST_CASE("Split-18 num_outputs: the last chunk is smaller, and must match the outputs") {
  auto out = run(R"(
<ir_version: 8, opset_import: ["" : 18]>
g () => (float[3] a, float[3] b, float[1] c)
<float[7] x = {0, 1, 2, 3, 4, 5, 6}>
{ a, b, c = Split <num_outputs = 3> (x) }
)");
  REQUIRE(floats(out[2]) == std::vector<float>{6});
  REQUIRE_THROWS_WITH(run(R"(
<ir_version: 8, opset_import: ["" : 18]>
g () => (float[4] a, float[3] b)
<float[7] x = {0, 1, 2, 3, 4, 5, 6}>
{ a, b = Split <num_outputs = 3> (x) }
)"),
                      Catch::Contains("num_outputs is 3 but the node has 2 outputs"));
}

TEST_CASE("Reduce-18: empty axes with noop_with_empty_axes reduce each element alone; ReduceMax-20 on bool") {
  auto out = run(R"(
<ir_version: 9, opset_import: ["" : 20]>
g () => (float[3] l2, float[3] ssq, bool[2] any, bool[2] all)
<float[3] x = {-2, 0, 3}, int64[0] none = {}, bool[2, 2] b = {1, 0, 0, 0}, int64[1] ax = {1}>
{
  l2 = ReduceL2 <noop_with_empty_axes = 1> (x, none)
  ssq = ReduceSumSquare <noop_with_empty_axes = 1> (x)
  any = ReduceMax <keepdims = 0> (b, ax)
  all = ReduceMin <keepdims = 0> (b, ax)
}
)");
  REQUIRE(floats(out[0]) == std::vector<float>{2, 0, 3});
  REQUIRE(floats(out[1]) == std::vector<float>{4, 0, 9});
  REQUIRE(out[2].dtype() == DType::kBool);
  REQUIRE(out[2].data<bool>()[0]);
  REQUIRE_FALSE(out[2].data<bool>()[1]);
  REQUIRE_FALSE(out[3].data<bool>()[0]);
  REQUIRE_FALSE(out[3].data<bool>()[1]);
}

TEST_CASE("Bitwise ops, CenterCropPad, Gelu") {
  auto out = run(R"(
<ir_version: 9, opset_import: ["" : 20]>
g () => (int32[2] a, uint8[2] n, float[2, 4] c, float[3] ge, float[3] gt)
<int32[2] x = {12, -1}, int32[1] y = {10}, uint8[2] u = {0, 15}, float[3, 2] m = {1, 2, 3, 4, 5, 6},
 int64[2] target = {2, 4}, float[3] v = {-1, 0, 2}>
{
  and = BitwiseAnd (x, y)
  a = BitwiseXor (and, y)
  n = BitwiseNot (u)
  c = CenterCropPad (m, target)
  ge = Gelu (v)
  gt = Gelu <approximate = "tanh"> (v)
}
)");
  REQUIRE(out[0].to_int64_vector() == std::vector<int64_t>{(12 & 10) ^ 10, (-1 & 10) ^ 10});
  REQUIRE(out[1].to_int64_vector() == std::vector<int64_t>{255, 240});
  // 3 rows -> 2: start at floor(1 / 2) = 0; 2 columns -> 4: one zero column each side.
  REQUIRE(floats(out[2]) == std::vector<float>{0, 1, 2, 0, 0, 3, 4, 0});
  auto gelu = [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); };
  require_near(floats(out[3]), {float(gelu(-1)), 0, float(gelu(2))});
  auto gelu_tanh = [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); };
  require_near(floats(out[4]), {float(gelu_tanh(-1)), 0, float(gelu_tanh(2))});
}

TEST_CASE("Col2Im sums overlapping blocks back into the image") {
  // One channel, image 1x3, blocks 1x2 at columns 0 and 1: block values (a0, a1) and (b0, b1)
  // land on columns (0, 1) and (1, 2).
  auto out = run(R"(
<ir_version: 8, opset_import: ["" : 18]>
g () => (float[1, 1, 1, 3] y)
<float[1, 2, 2] x = {1, 10, 2, 20}, int64[2] image = {1, 3}, int64[2] block = {1, 2}>
{ y = Col2Im (x, image, block) }
)");
  // x[0, k, l]: k = position in the block, l = block: a = (1, 2), b = (10, 20).
  REQUIRE(floats(out[0]) == std::vector<float>{1, 2 + 10, 20});
}

TEST_CASE("GroupNormalization: scale per group at opset 18, per channel at 21") {
  const char* body = R"(
g () => (float[1, 4, 2] y)
<float[1, 4, 2] x = {0, 2, 4, 6, 1, 1, 3, 3}, float[%d] s = {%s}, float[%d] b = {%s}>
{ y = GroupNormalization <num_groups = 2, epsilon = 0.0> (x, s, b) }
)";
  char text[512];
  // Group 0 = channels 0-1 {0, 2, 4, 6}: mean 3, var 5; group 1 = {1, 1, 3, 3}: mean 2, var 1.
  const float r5 = 1 / std::sqrt(5.0f);
  std::snprintf(text, sizeof text, body, 2, "2, 1", 2, "0, 10");
  auto g18 = run(std::string("<ir_version: 8, opset_import: [\"\" : 18]>") + text);
  require_near(floats(g18[0]), {-6 * r5, -2 * r5, 2 * r5, 6 * r5, 9, 9, 11, 11});
  std::snprintf(text, sizeof text, body, 4, "1, 2, 1, 3", 4, "0, 0, 5, 0");
  auto g21 = run(std::string("<ir_version: 10, opset_import: [\"\" : 21]>") + text);
  require_near(floats(g21[0]), {-3 * r5, -1 * r5, 2 * r5, 6 * r5, 4, 4, 3, 3});
  std::snprintf(text, sizeof text, body, 2, "1, 1", 2, "0, 0");
  REQUIRE_THROWS_WITH(run(std::string("<ir_version: 10, opset_import: [\"\" : 21]>") + text),
                      Catch::Contains("one per channel"));
}

TEST_CASE("LpPool and AffineGrid") {
  auto out = run(R"(
<ir_version: 9, opset_import: ["" : 20]>
g () => (float[1, 1, 1, 2] p2, float[1, 1, 1, 2] p1, float[1, 2, 3, 2] grid)
<float[1, 1, 1, 4] x = {3, -4, 1, 0.5}, float[1, 2, 3] theta = {1, 0, 0, 0, 1, 0}, int64[4] size = {1, 1, 2, 3}>
{
  p2 = LpPool <kernel_shape = [1, 2], strides = [1, 2], p = 2> (x)
  p1 = LpPool <kernel_shape = [1, 2], dilations = [1, 2], p = 1> (x)
  grid = AffineGrid <align_corners = 0> (theta, size)
}
)");
  require_near(floats(out[0]), {5, std::sqrt(1.25f)});
  require_near(floats(out[1]), {3 + 1, 4 + 0.5f});  // dilated windows: positions (0, 2) and (1, 3)
  // The identity theta returns the base grid: x at (2i + 1) / 3 - 1, y at (2j + 1) / 2 - 1.
  require_near(floats(out[2]), {-2.f / 3, -0.5f, 0, -0.5f, 2.f / 3, -0.5f, -2.f / 3, 0.5f, 0, 0.5f, 2.f / 3, 0.5f});
}

TEST_CASE("Resize-18/19: antialias, axes, keep_aspect_ratio_policy, half_pixel_symmetric") {
  auto out = run(R"(
<ir_version: 9, opset_import: ["" : 19]>
g () => (float[1, 1, 2] aa, float[1, 4, 4] keep, float[1, 1, 3] sym)
<float[1, 1, 4] x = {0, 1, 2, 3}, float[1] half = {0.5}, int64[2] sizes = {8, 4},
 float[1, 2, 2] sq = {0, 1, 2, 3}, float[1] s = {0.8}>
{
  aa = Resize <mode = "linear", antialias = 1, axes = [2]> (x, , half)
  keep = Resize <mode = "nearest", axes = [1, 2], keep_aspect_ratio_policy = "not_larger"> (sq, , , sizes)
  sym = Resize <mode = "linear", axes = [-1], coordinate_transformation_mode = "half_pixel_symmetric"> (x, , s)
}
)");
  // Linear filter stretched to 4 taps by 1/scale: weights 1, 3, 3, 1 (/ 8) around x = 0.5 and
  // 2.5, the edges repeated: (0 + 3*0 + 3*1 + 2) / 8 and (1 + 3*2 + 3*3 + 3) / 8.
  require_near(floats(out[0]), {0.625f, 2.375f});
  // not_larger: one scale, min(8 / 2, 4 / 2) = 2, for both axes: 2x2 -> 4x4, each value
  // repeated 2x2 by nearest upsampling.
  REQUIRE(out[1].shape() == Shape{1, 4, 4});
  REQUIRE(floats(out[1]) == std::vector<float>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3});
  // half_pixel_symmetric, 4 -> floor(3.2) = 3: offset = 2 * (1 - 3 / 3.2) = 0.125, so
  // x_in = 0.125 + (i + 0.5) / 0.8 - 0.5 = 0.25, 1.5, 2.75.
  require_near(floats(out[2]), {0.25f, 1.5f, 2.75f});
}

TEST_CASE("every op version of opsets 18-21 has a reference kernel, or is one docs/opsets.md lists as not run") {
  const std::set<std::string> not_run = {
      "DFT",  "DeformConv",   "GridSample",  "ImageDecoder", "OptionalGetElement", "OptionalHasElement",
      "RegexFullMatch", "Scan", "StringConcat", "StringSplit"};
  const auto& registry = rt::KernelRegistry::builtin();
  for (const auto& row : all_opset_changes()) {
    for (int opset = row.version; opset <= kMaxOnnxOpset; ++opset) {
      INFO(row.op << "-" << row.version << " at opset " << opset);
      REQUIRE(registry.supports("", row.op, opset) == (not_run.count(row.op) == 0));
    }
  }
}
