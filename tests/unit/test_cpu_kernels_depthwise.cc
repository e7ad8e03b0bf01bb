// The cpu backend's depthwise Conv (conv-depthwise-phase) against the reference Conv on random
// geometry: kernel sizes 1-5, strides 1-3, dilations, asymmetric and auto pads, fused
// BatchNormalization, activations and residual Add, 1 and 2 threads.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <sstream>

#include "cpu_kernel_test_util.h"
#include "ir/tensor_compare.h"
#include "ir/text_format.h"
#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/linalg/gemm.h"
#include "runtime/session.h"

using namespace edge;

namespace {

std::string depthwise_model(std::mt19937& rng, Shape* x_shape) {
  const int64_t N = 1 + rng() % 2, C = 2 + rng() % 40;
  const int64_t kh = 1 + rng() % 5, kw = 1 + rng() % 5, sh = 1 + rng() % 3, sw = 1 + rng() % 3;
  const int64_t dh = 1 + rng() % 2, dw = 1 + rng() % 2;
  const int64_t H = (kh - 1) * dh + 1 + rng() % 16, W = (kw - 1) * dw + 1 + rng() % 24;
  const bool same = rng() % 5 == 0, bias = rng() % 2, bn = rng() % 3 == 0;
  const bool residual = !same && sh == 1 && sw == 1 && rng() % 3 == 0;
  int64_t pads[4] = {static_cast<int64_t>(rng() % 3), static_cast<int64_t>(rng() % 3), static_cast<int64_t>(rng() % 3),
                     static_cast<int64_t>(rng() % 3)};
  if (residual) {  // output size = input size: pads total (k - 1) * d per axis
    pads[0] = (kh - 1) * dh / 2;
    pads[2] = (kh - 1) * dh - pads[0];
    pads[1] = (kw - 1) * dw / 2;
    pads[3] = (kw - 1) * dw - pads[1];
  }
  *x_shape = {N, C, H, W};
  const int act = static_cast<int>(rng() % 4);
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
  m << "g (float[" << N << "," << C << "," << H << "," << W << "] x) => (float[n, m, oh, ow] y)\n";
  m << "<float[" << C << ",1," << kh << "," << kw << "] w = {" << test::random_floats_text(C * kh * kw, rng) << "}";
  if (bias) m << ", float[" << C << "] b = {" << test::random_floats_text(C, rng) << "}";
  if (bn) {
    m << ", float[" << C << "] s = {" << test::random_floats_text(C, rng) << "}, float[" << C << "] o = {"
      << test::random_floats_text(C, rng) << "}";
    m << ", float[" << C << "] mu = {" << test::random_floats_text(C, rng) << "}, float[" << C << "] var = {";
    for (int64_t i = 0; i < C; ++i) m << (i ? ", " : "") << 0.5 + static_cast<double>(rng() % 100) / 100.0;
    m << "}";
  }
  m << ">\n{\n  c = Conv<group = " << C << ", strides = [" << sh << "," << sw << "], dilations = [" << dh << "," << dw
    << "], ";
  if (same) {
    m << "auto_pad = \"" << (rng() % 2 ? "SAME_UPPER" : "SAME_LOWER") << "\"";
  } else {
    m << "pads = [" << pads[0] << "," << pads[1] << "," << pads[2] << "," << pads[3] << "]";
  }
  m << ">(x, w" << (bias ? ", b" : "") << ")\n";
  std::string last = "c";
  if (bn) {
    m << "  n = BatchNormalization(c, s, o, mu, var)\n";
    last = "n";
  }
  if (residual) {
    m << "  a = Add(" << last << ", x)\n";
    last = "a";
  }
  if (act == 0) m << "  y = Identity(" << last << ")\n";
  if (act == 1) m << "  y = Relu(" << last << ")\n";
  if (act == 2)
    m << "  lo = Constant<value = float {0}>()\n  hi = Constant<value = float {6}>()\n  y = Clip(" << last
      << ", lo, hi)\n";
  if (act == 3) m << "  y = LeakyRelu<alpha = 0.1>(" << last << ")\n";
  m << "}\n";
  return m.str();
}

}  // namespace

TEST_CASE("cpu depthwise Conv matches the reference Conv on random geometry, 1 and 2 threads") {
  std::mt19937 rng(314);
  for (int trial = 0; trial < 200; ++trial) {
    // AVX-512 channel blocks where the CPU has them, the AVX2 planes, the portable planes (as on
    // a CPU without AVX2).
    const bool generic = trial % 3 == 2, c16 = trial % 3 == 0 && rt::linalg::c16::available();
    rt::linalg::sgemm_force_generic(generic);
    rt::linalg::c16::force_off(trial % 3 == 1);
    Shape xs;
    const std::string text = depthwise_model(rng, &xs);
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    const char* kernel = c16       ? "cpu:conv-depthwise-c16-avx512"
                         : generic ? "cpu:conv-depthwise-phase-generic"
                                   : "cpu:conv-depthwise-phase-avx2";
    test::check_against_reference(text, {{"x", x}}, {1e-4, 1e-5, 1 + trial % 2, kernel});
    rt::linalg::sgemm_force_generic(false);
    rt::linalg::c16::force_off(false);
  }
}

TEST_CASE("cpu depthwise Conv re-plans when the input size changes; thread count does not change results") {
  std::mt19937 rng(9);
  const std::string text =
      "<ir_version: 8, opset_import: [\"\" : 13]>\n"
      "g (float[1, 24, h, w] x) => (float[1, 24, oh, ow] y)\n"
      "<float[24, 1, 3, 3] w = {" +
      test::random_floats_text(24 * 9, rng) +
      "}>\n"
      "{ y = Conv<group = 24, strides = [2, 2], pads = [1, 1, 1, 1]>(x, w) }\n";
  rt::SessionOptions ref_opts;
  ref_opts.backends = {"reference"};
  auto ref = rt::Session::create(parse_model_text(text), ref_opts);
  rt::SessionOptions so;
  auto one = rt::Session::create(parse_model_text(text), so);
  so.threads = 2;
  auto two = rt::Session::create(parse_model_text(text), so);
  for (int64_t side : {9, 16, 5, 16}) {
    Tensor x(DType::kFloat, {1, 24, side, side + 3});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 37) % 101) / 50.f - 1.f;
    auto want = ref->run({{"x", x}})[0].second;
    auto a = one->run({{"x", x}})[0].second;
    auto b = two->run({{"x", x}})[0].second;
    REQUIRE(a.shape() == want.shape());
    REQUIRE(compare_tensors(a, want, 1e-4, 1e-5).mismatches == 0);
    REQUIRE(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
  }
}
