// equalize (cross-layer equalization): the float function is unchanged (outputs
// equal within 1e-4 relative on random inputs), the ranges of each output
// channel of the first layer and the matching input channel of the second
// become equal, and a Clip with a finite upper bound is respected: left alone
// without data, scaled within what the calibration data shows with it.
#include <catch2/catch.hpp>
#include <cmath>

#include "data/npy.h"
#include "ir/graph_edit.h"
#include "ir/tensor_proto.h"
#include "ir/text_format.h"
#include "pass_test_util.h"
#include "test_util.h"

using namespace edge;
using namespace edge::test;

namespace {

// `n` weights of `channels` output channels (outermost axis), channel c scaled by 4^(c % 4 - 2)
// (`inverse`: 4^(2 - c % 4)), so that the channel ranges differ by up to 64x.
std::string weights(int n, int channels, uint32_t seed, bool inverse = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::string s = "{";
  for (int i = 0; i < n; ++i) {
    const int c = i / (n / channels);
    s += (i ? ", " : "") +
         std::to_string(dist(rng) * std::pow(4.f, static_cast<float>(inverse ? 2 - c % 4 : c % 4 - 2)));
  }
  return s + "}";
}

// x -> Conv 3->8 (3x3) -> Relu -> depthwise Conv 8 (3x3) -> `act` -> Conv 8->4 (1x1) -> y
Model chain(const std::string& act) {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 3, 8, 8] x) => (float[N, 4, 8, 8] y)
<float[8, 3, 3, 3] w1 = )" +
                           weights(216, 8, 1) + R"(, float[8] b1 = )" + weights(8, 8, 2) +
                           R"(, float[8, 1, 3, 3] w2 = )" + weights(72, 8, 3, true) + R"(, float[8] b2 = )" +
                           weights(8, 8, 4) + R"(, float[4, 8, 1, 1] w3 = )" + weights(32, 4, 5) +
                           R"(, float[4] b3 = )" + weights(4, 4, 6) +
                           R"(, float lo = {0.0}, float hi = {6.0}>
{
  c1 = Conv<pads = [1, 1, 1, 1]>(x, w1, b1)
  r1 = Relu(c1)
  c2 = Conv<pads = [1, 1, 1, 1], group = 8>(r1, w2, b2)
  r2 = )" + act + R"(
  y = Conv(r2, w3, b3)
}
)";
  return parse_model_text(text);
}

Tensor weight(const Model& m, const std::string& name) {
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == name) return read_initializer(m, t);
  }
  FAIL("no initializer " << name);
  return {};
}

// max |W[c, ...]| per output channel (axis 0) and per input channel (axis 1, dense layer).
std::vector<double> out_ranges(const Tensor& w) {
  std::vector<double> r(static_cast<size_t>(w.dim(0)), 0.0);
  const int64_t per = w.numel() / w.dim(0);
  for (int64_t e = 0; e < w.numel(); ++e)
    r[static_cast<size_t>(e / per)] = std::max(r[static_cast<size_t>(e / per)], std::fabs(w.get_double(e)));
  return r;
}
std::vector<double> in_ranges(const Tensor& w) {
  std::vector<double> r(static_cast<size_t>(w.dim(1)), 0.0);
  int64_t k = 1;
  for (int d = 2; d < w.rank(); ++d) k *= w.dim(d);
  for (int64_t e = 0; e < w.numel(); ++e) {
    auto& m = r[static_cast<size_t>((e / k) % w.dim(1))];
    m = std::max(m, std::fabs(w.get_double(e)));
  }
  return r;
}

double relative_diff(const Model& a, const Model& b, uint32_t seed) {
  const auto feeds = random_feeds(a, 4, seed);
  const auto ya = rt::Session::create(a)->run(feeds)[0].second;
  const auto yb = rt::Session::create(b)->run(feeds)[0].second;
  double peak = 0, diff = 0;
  for (int64_t i = 0; i < ya.numel(); ++i) {
    peak = std::max(peak, std::fabs(ya.get_double(i)));
    diff = std::max(diff, std::fabs(ya.get_double(i) - yb.get_double(i)));
  }
  return diff / peak;
}

}  // namespace

TEST_CASE("equalize keeps the float function and equalizes the ranges (dense, depthwise, LeakyRelu)") {
  const Model m = chain("LeakyRelu<alpha = 0.1>(c2)");
  report::StageRecord stage;
  const Model e = apply(m, "equalize", {}, &stage);
  for (uint32_t seed : {11u, 12u, 13u}) CHECK(relative_diff(m, e, seed) < 1e-4);
  CHECK(stage.metrics.at("equalized_pairs") == 2);
  // The depthwise layer is both the consumer of the first pair and the producer of the second;
  // after the sweeps every pair's ranges agree (the last pair of a sweep exactly).
  const Tensor w1 = weight(e, "w1"), w2 = weight(e, "w2"), w3 = weight(e, "w3");
  const auto r1 = out_ranges(w1), r2_in = out_ranges(w2) /* depthwise: input c = output c */, r3 = in_ranges(w3);
  for (size_t c = 0; c < 8; ++c) {
    CHECK(r2_in[c] == Approx(r3[c]).epsilon(1e-5));
    CHECK(r1[c] == Approx(r2_in[c]).epsilon(1e-2));
  }
  // The first layer's channel ranges were 64x apart; equalized they are much closer.
  const double before = stage.layers.at(0).metrics.at("range_spread_before");
  const double after = stage.layers.at(0).metrics.at("range_spread_after");
  CHECK(before > 30);
  CHECK(after < before / 4);
  // The original weights changed (a no-op pass would pass the function check).
  CHECK(out_ranges(weight(m, "w1")) != r1);
}

TEST_CASE("equalize leaves a bounded Clip pair alone without calibration data") {
  const Model m = chain("Clip(c2, lo, hi)");
  report::StageRecord stage;
  const Model e = apply(m, "equalize", {}, &stage);
  CHECK(stage.metrics.at("equalized_pairs") == 1);  // Conv -> Relu -> depthwise only
  CHECK(stage.metrics.at("skipped_bounded_pairs") == 1);
  CHECK(out_ranges(weight(e, "w3")) == out_ranges(weight(m, "w3")));
  CHECK(in_ranges(weight(e, "w3")) == in_ranges(weight(m, "w3")));
  CHECK(relative_diff(m, e, 21) < 1e-4);
}

TEST_CASE("equalize scales across ReLU6 only as far as the calibration data stays below the bound") {
  const Model m = chain("Clip(c2, lo, hi)");
  TempDir dir;
  // Calibration inputs in [0, 1): the depthwise outputs of some channels exceed 6, others not.
  Tensor calib(DType::kFloat, {16, 3, 8, 8});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  for (int64_t i = 0; i < calib.numel(); ++i) calib.data<float>()[i] = dist(rng) * 3.f;
  data::write_npy(dir.path() / "calib.npy", calib);
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  report::StageRecord stage;
  ctx.stage = &stage;
  ctx.calib.path = dir.path() / "calib.npy";
  ctx.calib.batch = 4;
  Model e = m;
  const auto& info = pass::find_pass("equalize");
  ctx.run_pass(info, pass::make_options(info, {}), e);
  e.check();
  CHECK(stage.metrics.at("equalized_pairs") == 2);
  // On the calibration inputs the function is the same (the Clip acts as before) ...
  rt::NamedTensors feeds{{"x", calib}};
  const auto ya = rt::Session::create(m)->run(feeds)[0].second;
  const auto yb = rt::Session::create(e)->run(feeds)[0].second;
  double peak = 0, diff = 0;
  for (int64_t i = 0; i < ya.numel(); ++i) {
    peak = std::max(peak, std::fabs(ya.get_double(i)));
    diff = std::max(diff, std::fabs(ya.get_double(i) - yb.get_double(i)));
  }
  CHECK(diff / peak < 1e-4);
  // ... and the pair was scaled (some channels moved) with some held by the bound.
  CHECK(in_ranges(weight(e, "w3")) != in_ranges(weight(m, "w3")));
  const auto& row = stage.layers.back();
  CHECK(row.name == "Conv_2");  // the depthwise layer, producer of the bounded pair
  CHECK(row.metrics.at("blocked_channels") >= 1);
  CHECK(row.metrics.at("blocked_channels") < 8);
}
