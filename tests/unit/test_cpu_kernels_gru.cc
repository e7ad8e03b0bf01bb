// The cpu backend's GRU against the reference GRU (computed in double) on random shapes and
// every attribute the fast kernel accepts, and the vectorized math (linalg/vmath.h) against
// double std::exp / std::tanh.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "cpu_kernel_test_util.h"
#include "ir/text_format.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/vmath.h"
#include "runtime/session.h"

using namespace edge;

namespace {

struct GruCase {
  std::string text;
  Shape x, h0;
  int64_t batch = 1, seq = 1;
  bool has_sl = false, has_h0 = false;
};

// A GRU node with random sizes and attributes: direction, linear_before_reset, layout, clip,
// explicit default activations, bias present or not, sequence_lens and initial_h as inputs.
GruCase gru_model(std::mt19937& rng) {
  GruCase c;
  const int64_t T = 1 + rng() % 7, B = 1 + rng() % 4, I = 1 + rng() % 20, H = 1 + rng() % 40;
  const int64_t D = rng() % 3 == 0 ? 2 : 1;
  const char* dir = D == 2 ? "bidirectional" : (rng() % 2 ? "reverse" : "forward");
  const int64_t lbr = rng() % 2, layout = rng() % 2;
  const bool bias = rng() % 3 != 0, clip = rng() % 4 == 0, acts = rng() % 4 == 0;
  c.has_sl = rng() % 2;
  c.has_h0 = rng() % 2;
  c.batch = B;
  c.seq = T;
  c.x = layout ? Shape{B, T, I} : Shape{T, B, I};
  c.h0 = layout ? Shape{B, D, H} : Shape{D, B, H};
  const std::string y =
      layout
          ? "[" + std::to_string(B) + "," + std::to_string(T) + "," + std::to_string(D) + "," + std::to_string(H) + "]"
          : "[" + std::to_string(T) + "," + std::to_string(D) + "," + std::to_string(B) + "," + std::to_string(H) + "]";
  const auto dims = test::dims_text;
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 14]>\n";
  m << "g (float[" << dims(c.x) << "] x" << (c.has_sl ? ", int32[" + std::to_string(B) + "] sl" : "")
    << (c.has_h0 ? ", float[" + dims(c.h0) + "] h0" : "") << ") => (float" << y << " y, float[" << dims(c.h0)
    << "] yh)\n";
  m << "<float[" << D << "," << 3 * H << "," << I << "] w = {" << test::random_floats_text(D * 3 * H * I, rng, 0.6f)
    << "}";
  m << ", float[" << D << "," << 3 * H << "," << H << "] r = {" << test::random_floats_text(D * 3 * H * H, rng, 0.4f)
    << "}";
  if (bias) m << ", float[" << D << "," << 6 * H << "] b = {" << test::random_floats_text(D * 6 * H, rng) << "}";
  m << ">\n{\n  y, yh = GRU<hidden_size = " << H << ", direction = \"" << dir << "\", linear_before_reset = " << lbr
    << ", layout = " << layout;
  if (clip) m << ", clip = 1.5";
  if (acts) m << ", activations = [\"Sigmoid\", \"Tanh\"" << (D == 2 ? ", \"sigmoid\", \"TANH\"" : "") << "]";
  m << ">(x, w, r, " << (bias ? "b" : "") << ", " << (c.has_sl ? "sl" : "") << ", " << (c.has_h0 ? "h0" : "")
    << ")\n}\n";
  c.text = m.str();
  return c;
}

}  // namespace

TEST_CASE("cpu GRU matches the reference GRU on random shapes and attributes, 1 and 2 threads") {
  std::mt19937 rng(1414);
  int lens_cases = 0;
  for (int trial = 0; trial < 150; ++trial) {
    // every third case on the portable code path (as on a CPU without AVX2)
    const bool generic = trial % 3 == 2;
    rt::linalg::sgemm_force_generic(generic);
    const GruCase c = gru_model(rng);
    std::uniform_real_distribution<float> u(-2.f, 2.f);
    rt::NamedTensors feeds;
    feeds.emplace_back("x", test::random_tensor(c.x, rng, -2.f, 2.f));
    if (c.has_sl) {
      Tensor sl(DType::kInt32, {c.batch});
      for (int64_t b = 0; b < c.batch; ++b) sl.data<int32_t>()[b] = static_cast<int32_t>(rng() % (c.seq + 1));
      lens_cases += 1;
      feeds.emplace_back("sl", sl);
    }
    if (c.has_h0) {
      Tensor h0(DType::kFloat, c.h0);
      for (int64_t i = 0; i < h0.numel(); ++i) h0.data<float>()[i] = u(rng) / 2;
      feeds.emplace_back("h0", h0);
    }
    auto fast = test::check_against_reference(c.text, feeds, {1e-4, 2e-5, 1 + trial % 2, "cpu:gru-sgemm"});
    const auto prof = fast->profile();
    REQUIRE(prof.size() == 1);
    REQUIRE(fast->run(feeds).size() == 2);
    if (generic) REQUIRE(prof[0].kernel.find("-generic") != std::string::npos);
    rt::linalg::sgemm_force_generic(false);
  }
  REQUIRE(lens_cases > 20);
}

TEST_CASE("cpu GRU is not chosen for activations it does not implement") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 14]>
g (float[2, 1, 1] x) => (float[2, 1, 1, 1] y)
<float[1, 3, 1] w = {0.5, -0.25, 1}, float[1, 3, 1] r = {0.1, 0.2, 0.3}>
{ y = GRU<hidden_size = 1, activations = ["HardSigmoid", "Tanh"]>(x, w, r) }
)";
  rt::SessionOptions so;
  so.profile = true;
  auto s = rt::Session::create(parse_model_text(text), so);
  s->run({{"x", Tensor(DType::kFloat, {2, 1, 1})}});
  REQUIRE(s->profile()[0].kernel == "reference");
}

TEST_CASE("vectorized exp, sigmoid, tanh and erf are accurate in float") {
  std::vector<float> xs;
  for (int i = -200000; i <= 200000; ++i) xs.push_back(static_cast<float>(i) * 1e-4f);  // [-20, 20]
  for (float v : {-100.f, -87.f, -50.f, 50.f, 88.f, 100.f, 1e-30f, -1e-30f, 0.f}) xs.push_back(v);
  std::vector<float> e = xs, s = xs, t = xs, f = xs;
  rt::linalg::vmap_inplace(e.data(), static_cast<int64_t>(e.size()), rt::linalg::VExp{});
  rt::linalg::vmap_inplace(s.data(), static_cast<int64_t>(s.size()), rt::linalg::VSigmoid{});
  rt::linalg::vmap_inplace(t.data(), static_cast<int64_t>(t.size()), rt::linalg::VTanh{});
  rt::linalg::vmap_inplace(f.data(), static_cast<int64_t>(f.size()), rt::linalg::VErf{});
  double exp_rel = 0, sig_abs = 0, tanh_abs = 0, erf_abs = 0, erf_small_rel = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    if (x > -87 && x < 88) exp_rel = std::max(exp_rel, std::fabs(e[i] - std::exp(x)) / std::exp(x));
    sig_abs = std::max(sig_abs, std::fabs(s[i] - 1 / (1 + std::exp(-x))));
    tanh_abs = std::max(tanh_abs, std::fabs(t[i] - std::tanh(x)));
    erf_abs = std::max(erf_abs, std::fabs(f[i] - std::erf(x)));
    if (x != 0 && std::fabs(x) < 0.5)
      erf_small_rel = std::max(erf_small_rel, std::fabs(f[i] - std::erf(x)) / std::fabs(std::erf(x)));
    REQUIRE(std::isfinite(e[i]));
  }
  INFO("exp rel " << exp_rel << " sigmoid abs " << sig_abs << " tanh abs " << tanh_abs << " erf abs " << erf_abs
                  << " erf rel below 0.5 " << erf_small_rel);
  CHECK(exp_rel < 3e-7);
  CHECK(sig_abs < 3e-7);
  CHECK(tanh_abs < 3e-7);
  CHECK(erf_abs < 4e-7);
  CHECK(erf_small_rel < 3e-7);
  float nan[8] = {std::nanf(""), 1, 2, 3, 4, 5, 6, 7};
  float nan2[8], nan3[8], nan4[8];
  std::memcpy(nan2, nan, sizeof nan);
  std::memcpy(nan3, nan, sizeof nan);
  std::memcpy(nan4, nan, sizeof nan);
  rt::linalg::vmap_inplace(nan, 8, rt::linalg::VTanh{});
  rt::linalg::vmap_inplace(nan2, 8, rt::linalg::VExp{});
  rt::linalg::vmap_inplace(nan3, 8, rt::linalg::VSigmoid{});
  rt::linalg::vmap_inplace(nan4, 8, rt::linalg::VErf{});
  CHECK(std::isnan(nan[0]));
  CHECK(std::isnan(nan2[0]));
  CHECK(std::isnan(nan3[0]));
  CHECK(std::isnan(nan4[0]));
  CHECK(t[t.size() - 2] == -1e-30f);  // tiny inputs: tanh(x) = x, sign kept
}
