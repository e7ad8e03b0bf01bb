// The cpu backend against the reference kernels (the oracle) on random shapes and
// attributes, with and without the graph fusions.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "cpu_kernel_test_util.h"
#include "ir/text_format.h"
#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/session.h"

using namespace edge;

namespace {

// Conv (+ optional BatchNormalization, activation and, when `big`, a residual Add) with
// random geometry. `big`: up to 40 input and 70 output channels (K beyond one GEMM depth
// slice, M not a multiple of the register tile), strides up to 3, asymmetric pads.
std::string conv_model(std::mt19937& rng, Shape* x_shape, bool* depthwise, bool big = false) {
  const int64_t N = 1 + rng() % 2, group_pick = rng() % 3;
  int64_t C = big ? 1 + rng() % 40 : 1 + rng() % 6, M = big ? 1 + rng() % 70 : 1 + rng() % 7, G = 1;
  if (group_pick == 1) {  // depthwise
    G = C;
    M = C;
  } else if (group_pick == 2 && C % 2 == 0 && M % 2 == 0) {
    G = 2;
  }
  *depthwise = G == C && M == C;
  const int64_t kh = 1 + rng() % 3, kw = 1 + rng() % 3, sh = 1 + rng() % (big ? 3 : 2), sw = 1 + rng() % (big ? 3 : 2);
  const int64_t dh = 1 + rng() % 2, dw = big ? 1 + rng() % 2 : 1;
  const int64_t ph = rng() % 2, pw = rng() % 2, ph_end = big ? rng() % 3 : ph, pw_end = big ? rng() % 3 : pw;
  const int64_t H = (kh - 1) * dh + 1 + rng() % (big ? 20 : 7), W = (kw - 1) * dw + 1 + rng() % (big ? 30 : 9);
  const bool residual = big && rng() % 2;
  *x_shape = {N, C, H, W};
  const bool bias = rng() % 2, bn = rng() % 2;
  const int act = static_cast<int>(rng() % 4);  // none, Relu, Clip, LeakyRelu
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
  m << "g (float[" << N << "," << C << "," << H << "," << W << "] x) => (float[n, m, oh, ow] y)\n";
  m << "<float[" << M << "," << C / G << "," << kh << "," << kw << "] w = {"
    << test::random_floats_text(M * (C / G) * kh * kw, rng) << "}";
  if (bias) m << ", float[" << M << "] b = {" << test::random_floats_text(M, rng) << "}";
  if (bn) {
    m << ", float[" << M << "] s = {" << test::random_floats_text(M, rng) << "}, float[" << M << "] o = {"
      << test::random_floats_text(M, rng) << "}";
    m << ", float[" << M << "] mu = {" << test::random_floats_text(M, rng) << "}, float[" << M << "] var = {";
    for (int64_t i = 0; i < M; ++i) m << (i ? ", " : "") << 0.5 + static_cast<double>(rng() % 100) / 100.0;
    m << "}";
  }
  m << ">\n{\n";
  m << "  c = Conv<group = " << G << ", strides = [" << sh << "," << sw << "], dilations = [" << dh << "," << dw
    << "], pads = [" << ph << "," << pw << "," << ph_end << "," << pw_end << "]>(x, w" << (bias ? ", b" : "")
    << ")\n";
  std::string last = "c";
  if (residual) {  // c + relu(c): fused as the Conv's residual input when the Add follows
    m << "  r = Relu(c)\n  a = Add(c, r)\n";
    last = "a";
  }
  if (bn) {
    m << "  n = BatchNormalization(c, s, o, mu, var)\n";
    last = "n";
  }
  if (act == 0) m << "  y = Identity(" << last << ")\n";
  if (act == 1) m << "  y = Relu(" << last << ")\n";
  if (act == 2) m << "  lo = Constant<value = float {-0.25}>()\n  hi = Constant<value = float {0.5}>()\n  y = Clip(" << last << ", lo, hi)\n";
  if (act == 3) m << "  y = LeakyRelu<alpha = 0.2>(" << last << ")\n";
  m << "}\n";
  return m.str();
}

}  // namespace

TEST_CASE("cpu Conv/FusedConv match the reference Conv on random geometry") {
  std::mt19937 rng(2024);
  int depthwise_cases = 0;
  for (int trial = 0; trial < 120; ++trial) {
    Shape xs;
    bool depthwise = false;
    const std::string text = conv_model(rng, &xs, &depthwise);
    depthwise_cases += depthwise;
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    auto fast = test::check_against_reference(text, {{"x", x}}, {1e-4, 1e-5});
    const auto prof = fast->profile();  // kernels chosen per node are recorded
    (void)prof;
  }
  REQUIRE(depthwise_cases > 10);
}

TEST_CASE("cpu Conv (direct 2-D path) matches the reference on larger random geometry, 1 and 2 threads") {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 60; ++trial) {
    Shape xs;
    bool depthwise = false;
    const std::string text = conv_model(rng, &xs, &depthwise, true);
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    // One trial in three without the AVX-512 tile: the AVX2 tile, pointwise GEMM and im2col.
    rt::linalg::c16::force_off(trial % 3 == 2);
    test::check_against_reference(text, {{"x", x}}, {1e-4, 1e-4, 1 + trial % 2});
    rt::linalg::c16::force_off(false);
  }
}

TEST_CASE("the cpu backend is chosen for Conv and recorded in the profile") {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 2, 5, 5] x) => (float[1, 3, 5, 5] y)
<float[3, 2, 1, 1] w = {1, 2, 3, 4, 5, 6}>
{ c = Conv(x, w)  y = Relu(c) }
)";
  rt::SessionOptions so;
  so.profile = true;
  auto s = rt::Session::create(parse_model_text(text), so);
  s->run({{"x", Tensor(DType::kFloat, {1, 2, 5, 5})}});
  auto p = s->profile();
  REQUIRE(p.size() == 1);  // Relu fused into the Conv
  REQUIRE(p[0].op == "FusedConv");
  // 1x1: the packed GEMM, or the AVX-512 pointwise tile where the CPU has it.
  REQUIRE(p[0].kernel ==
          (rt::linalg::c16::available() ? "cpu:conv-pointwise-avx512+relu" : "cpu:conv-pointwise-packed+relu"));
  rt::linalg::c16::force_off(true);
  auto g = rt::Session::create(parse_model_text(text), so);
  rt::linalg::c16::force_off(false);
  g->run({{"x", Tensor(DType::kFloat, {1, 2, 5, 5})}});
  REQUIRE(g->profile().at(0).kernel == "cpu:conv-pointwise-packed+relu");
  so.backends = {"reference"};
  auto r = rt::Session::create(parse_model_text(text), so);
  r->run({{"x", Tensor(DType::kFloat, {1, 2, 5, 5})}});
  auto pr = r->profile();
  REQUIRE(pr.size() == 2);
  REQUIRE(pr[0].kernel == "reference");
}

TEST_CASE("2-D convs larger than 1x1 take the direct path; results do not depend on the thread count") {
  std::mt19937 rng(5);
  const std::string text =
      "<ir_version: 8, opset_import: [\"\" : 13]>\n"
      "g (float[1, 8, 20, 20] x) => (float[1, 16, 10, 10] y)\n"
      "<float[16, 8, 3, 3] w = {" +
      test::random_floats_text(16 * 8 * 9, rng) +
      "}>\n"
      "{ y = Conv<strides = [2, 2], pads = [1, 1, 1, 1]>(x, w) }\n";
  Model m = parse_model_text(text);
  rt::SessionOptions so;
  so.profile = true;
  auto one = rt::Session::create(m, so);
  so.threads = 2;
  auto two = rt::Session::create(m, so);
  Tensor x(DType::kFloat, {1, 8, 20, 20});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 37) % 101) / 50.f - 1.f;
  auto a = one->run({{"x", x}})[0].second;
  auto b = two->run({{"x", x}})[0].second;
  REQUIRE(one->profile()[0].kernel ==
          std::string("cpu:conv-direct-") + (rt::linalg::c16::available() ? "avx512-c16" : "6x16"));
  REQUIRE(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}
