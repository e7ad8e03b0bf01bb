// The direct Conv's AVX-512 tile (linalg/conv2d_direct_c16.h: output channels on the lanes,
// channels-last result, masked plane fill, transposed epilogue) against the AVX2 tile it
// replaces where AVX-512 is there: the same bits, on random geometry, for 1 and 2 threads.
// On a CPU without AVX-512 both sides run the AVX2 tile (the comparison still runs; a warning
// says so).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <tuple>

#include "cpu_kernel_test_util.h"
#include "runtime/kernels/cpu/fused_activation.h"
#include "runtime/linalg/conv2d_direct.h"
#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/thread_pool.h"

using namespace edge;
namespace linalg = edge::rt::linalg;

namespace {

float wide_at(const linalg::DirectConv2d::Wide& w, int64_t m, int64_t oh, int64_t ow) {
  return w.out[m * w.ld + (oh * w.row_stride + ow) * w.pos_stride];
}

std::vector<float> uniform(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& f : v) f = u(rng);
  return v;
}

float* aligned(std::vector<float>& v) {
  auto p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<float*>((p + 63) / 64 * 64);
}

// Conv (+ bias, + Relu, + residual Add) with random geometry, as ONNX text.
// `grow`: added to the input's height and width (larger maps: several blocks of positions per
// task, each written out as it is done).
std::string conv_text(std::mt19937& rng, Shape* xs, int64_t grow = 0) {
  const int64_t C = 1 + rng() % 48, M = 1 + rng() % 80, kh = 1 + rng() % 3, kw = 1 + rng() % 3;
  const int64_t sh = 1 + rng() % 3, sw = 1 + rng() % 3, dh = 1 + rng() % 2, dw = 1 + rng() % 2;
  const int64_t ph = rng() % 2, pw = rng() % 2, H = (kh - 1) * dh + 1 + rng() % 20 + grow,
                W = (kw - 1) * dw + 1 + rng() % 40 + grow;
  const bool bias = rng() % 2, relu = rng() % 2, residual = rng() % 2;
  *xs = {1 + static_cast<int64_t>(rng() % 2), C, H, W};
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
  m << "g (float[" << (*xs)[0] << "," << C << "," << H << "," << W << "] x) => (float[n, m, oh, ow] y)\n";
  m << "<float[" << M << "," << C << "," << kh << "," << kw << "] w = {"
    << test::random_floats_text(M * C * kh * kw, rng) << "}";
  if (bias) m << ", float[" << M << "] b = {" << test::random_floats_text(M, rng) << "}";
  m << ">\n{\n  c = Conv<strides = [" << sh << "," << sw << "], dilations = [" << dh << "," << dw << "], pads = [" << ph
    << "," << pw << "," << ph << "," << pw << "]>(x, w" << (bias ? ", b" : "") << ")\n";
  std::string last = "c";
  if (residual) {
    m << "  r = Relu(c)\n  a = Add(c, r)\n";
    last = "a";
  }
  m << (relu ? "  y = Relu(" : "  y = Identity(") << last << ")\n}\n";
  return m.str();
}

}  // namespace

TEST_CASE("the AVX-512 direct-conv tile gives the AVX2 tile's bits, 1 and 2 threads") {
  if (!linalg::c16::available()) WARN("no AVX-512 on this CPU: both sides run the AVX2 tile");
  std::mt19937 rng(16);
  rt::ThreadPool pool(2);
  for (int trial = 0; trial < 80; ++trial) {
    // Up to 48 channels x 9 taps: K beyond one tap block of the 4-vector groups (96 taps);
    // M up to 90: groups of 4, 3, 2 and 1 vectors and padding channels.
    const int64_t C = 1 + rng() % 48, M = 1 + rng() % 90, KH = 1 + rng() % 3, KW = 1 + rng() % 3;
    linalg::Conv2dGeom g{};
    g.C = C;
    g.KH = KH;
    g.KW = KW;
    g.sh = 1 + rng() % 3;
    g.sw = 1 + rng() % 3;
    g.dh = 1 + rng() % 2;
    g.dw = 1 + rng() % 2;
    g.ph = rng() % 3;
    g.pw = rng() % 3;
    g.H = (KH - 1) * g.dh + 1 + rng() % 16;
    g.W = (KW - 1) * g.dw + 1 + rng() % 40;
    g.OH = (g.H + 2 * g.ph - (KH - 1) * g.dh - 1) / g.sh + 1;
    g.OW = (g.W + 2 * g.pw - (KW - 1) * g.dw - 1) / g.sw + 1;
    const auto w = uniform(M * C * KH * KW, rng), x = uniform(C * g.H * g.W, rng);
    INFO("trial " << trial << " C " << C << " M " << M << " k " << KH << "x" << KW << " s " << g.sh << "x" << g.sw
                  << " d " << g.dh << "x" << g.dw << " p " << g.ph << "," << g.pw << " in " << g.H << "x" << g.W);
    linalg::c16::force_off(true);
    const linalg::DirectConv2d avx2(M, C, KH, KW, w.data());
    linalg::c16::force_off(false);
    const linalg::DirectConv2d c16(M, C, KH, KW, w.data());
    REQUIRE(std::string(avx2.tile_name()) != "avx512-c16");
    if (linalg::c16::available()) REQUIRE(std::string(c16.tile_name()) == "avx512-c16");
    std::vector<float> s1(avx2.scratch_floats(g) + 16), s2(c16.scratch_floats(g) + 16), s3(c16.scratch_floats(g) + 16);
    const auto a = avx2.run(x.data(), g, aligned(s1), nullptr);
    const auto b = c16.run(x.data(), g, aligned(s2), nullptr);
    const auto c = c16.run(x.data(), g, aligned(s3), &pool);
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const float va = wide_at(a, m, oh, ow), vb = wide_at(b, m, oh, ow), vc = wide_at(c, m, oh, ow);
          INFO("m " << m << " oh " << oh << " ow " << ow << ": " << va << " " << vb << " " << vc);
          REQUIRE(std::memcmp(&va, &vb, sizeof(float)) == 0);
          REQUIRE(std::memcmp(&vb, &vc, sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("cpu Conv with the AVX-512 tile: bias, residual and Relu give the AVX2 path's bits") {
  std::mt19937 rng(61);
  for (int trial = 0; trial < 52; ++trial) {
    Shape xs;
    const std::string text = conv_text(rng, &xs, trial < 40 ? 0 : 40);
    INFO(text);
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    rt::SessionOptions opts;
    opts.threads = 1 + trial % 2;
    linalg::c16::force_off(true);
    auto avx2 = rt::Session::create(parse_model_text(text), opts);
    linalg::c16::force_off(false);
    auto c16 = rt::Session::create(parse_model_text(text), opts);
    const auto want = avx2->run({{"x", x}}), got = c16->run({{"x", x}});
    REQUIRE(got.size() == 1);
    const Tensor &a = want[0].second, &b = got[0].second;
    REQUIRE(a.shape() == b.shape());
    REQUIRE(std::memcmp(a.data<float>(), b.data<float>(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0);
  }
}

TEST_CASE("the transposed epilogue's clamp is FusedActivation's Relu and Clip bit for bit, NaN and -0 included") {
  // Channels-last source (m_pad 32, 20 channels), 3 rows of 7 positions with 2 padding columns,
  // then the same without padding columns (the positions as one run); values straddle the bounds.
#if defined(__x86_64__)
  const bool runnable = linalg::c16::available();  // the AVX-512 epilogue; elsewhere the portable one
#else
  const bool runnable = true;
#endif
  if (!runnable) WARN("no AVX-512 on this CPU: only the clamp parameters are checked");
  std::mt19937 rng(7);
  for (const int64_t Wq : {9, 7}) {
    if (!runnable) break;
    const int64_t OH = 3, OW = 7, M = 20, m_pad = 32, on = OH * OW;
    std::vector<float> src = uniform(OH * Wq * m_pad, rng), bias = uniform(M, rng), z = uniform(M * on, rng);
    for (size_t i = 0; i < src.size(); i += 13) src[i] = std::nanf("");
    for (size_t i = 5; i < src.size(); i += 17) src[i] = -0.f;
    bias[3] = 0.f;
    for (const auto& [kind, a, b] : {std::tuple{rt::FusedActivation::kNone, 0.f, 0.f},
                                     std::tuple{rt::FusedActivation::kRelu, 0.f, 0.f},
                                     std::tuple{rt::FusedActivation::kClip, -0.25f, 0.5f},
                                     std::tuple{rt::FusedActivation::kClip, 0.f, 6.f}}) {
      rt::FusedActivation act;
      act.kind = kind;
      act.a = a;
      act.b = b;
      float lo = 0, hi = 0;
      REQUIRE(act.as_clamp(lo, hi));
      for (const float* zp : {static_cast<const float*>(nullptr), static_cast<const float*>(z.data())}) {
        std::vector<float> got(static_cast<size_t>(M * on)), want(got.size());
        linalg::c16::write_channels_first(src.data(), m_pad, Wq, OH, OW, M, bias.data(), zp, got.data(), lo, hi);
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t p = 0; p < on; ++p) {
            float v = src[static_cast<size_t>(((p / OW) * Wq + p % OW) * m_pad + m)] + bias[static_cast<size_t>(m)];
            if (zp) v += zp[m * on + p];
            want[static_cast<size_t>(m * on + p)] = act(v);
          }
        }
        INFO("Wq " << Wq << " kind " << kind << " residual " << (zp != nullptr));
        REQUIRE(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
      }
    }
  }
  rt::FusedActivation leaky;
  leaky.kind = rt::FusedActivation::kLeaky;
  float lo = 0, hi = 0;
  REQUIRE_FALSE(leaky.as_clamp(lo, hi));
  rt::FusedActivation inverted{rt::FusedActivation::kClip, 1.f, -1.f};  // min > max: applied after, not clamped
  REQUIRE_FALSE(inverted.as_clamp(lo, hi));
  REQUIRE((lo == -INFINITY && hi == INFINITY));
}

TEST_CASE("cpu 1x1 Conv with the AVX-512 pointwise tile gives the packed GEMM's bits: groups, bias, residual, "
          "activations, 1 and 2 threads") {
  std::mt19937 rng(62);
  int pointwise = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t g = trial % 5 == 4 ? 2 : 1, C = g * (1 + rng() % 40), M = g * (1 + rng() % 50);
    // Position counts around the 16-lane vectors and the 64-position tiles, and large maps.
    const int64_t H = 1 + rng() % (trial % 3 == 0 ? 40 : 9), W = 1 + rng() % 17;
    const bool bias = rng() % 2, residual = rng() % 2;
    const int act = static_cast<int>(rng() % 4);  // none, Relu, Clip, LeakyRelu
    std::ostringstream m;
    m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
    m << "g (float[1," << C << "," << H << "," << W << "] x, float[1," << M << "," << H << "," << W
      << "] r) => (float[1," << M << "," << H << "," << W << "] y)\n";
    m << "<float[" << M << "," << C / g << ",1,1] w = {" << test::random_floats_text(M * C / g, rng) << "}";
    if (bias) m << ", float[" << M << "] b = {" << test::random_floats_text(M, rng) << "}";
    m << ", float lo = {-0.25}, float hi = {0.5}>\n{\n  c = Conv<group = " << g << ">(x, w" << (bias ? ", b" : "")
      << ")\n";
    std::string last = "c";
    if (residual) {
      m << "  a = Add(c, r)\n";
      last = "a";
    }
    const char* acts[] = {"Identity(", "Relu(", "Clip(", "LeakyRelu<alpha = 0.1>("};
    m << "  y = " << acts[act] << last << (act == 2 ? ", lo, hi" : "") << ")\n}\n";
    const std::string text = m.str();
    INFO(text.substr(0, 200));
    const Tensor x = test::random_tensor({1, C, H, W}, rng, -2.f, 2.f);
    const Tensor r = test::random_tensor({1, M, H, W}, rng, -2.f, 2.f);
    rt::SessionOptions opts;
    opts.threads = 1 + trial % 2;
    opts.profile = true;
    linalg::c16::force_off(true);
    auto packed = rt::Session::create(parse_model_text(text), opts);
    linalg::c16::force_off(false);
    auto tile = rt::Session::create(parse_model_text(text), opts);
    const auto want = packed->run({{"x", x}, {"r", r}}), got = tile->run({{"x", x}, {"r", r}});
    pointwise += tile->profile().at(0).kernel.find("conv-pointwise-avx512") != std::string::npos;
    const Tensor &a = want[0].second, &b = got[0].second;
    REQUIRE(a.shape() == b.shape());
    REQUIRE(std::memcmp(a.data<float>(), b.data<float>(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0);
  }
  if (linalg::c16::available()) REQUIRE(pointwise == 60);
}
