// The cpu Conv's sparse path (pruned weights, linalg::DirectConv2d with `sparse`): against the
// reference kernels on random geometry and sparsity, bit for bit against the dense direct path,
// independent of the thread count, and chosen only from the measured zero share on.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "cpu_kernel_test_util.h"
#include "runtime/linalg/conv2d_direct.h"
#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/thread_pool.h"

using namespace edge;
namespace linalg = edge::rt::linalg;

namespace {

// n floats in [-1, 1] of which a share `zeros` (rounded up: at least that share) are exactly 0,
// at random positions.
std::vector<float> sparse_floats(int64_t n, double zeros, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& f : v) f = u(rng);
  std::vector<size_t> idx(v.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), rng);
  const auto z = static_cast<size_t>(std::ceil(static_cast<double>(n) * zeros - 1e-9));
  for (size_t i = 0; i < z && i < idx.size(); ++i) v[idx[i]] = 0.f;
  return v;
}

float wide_at(const linalg::DirectConv2d::Wide& w, int64_t m, int64_t oh, int64_t ow) {
  return w.out[m * w.ld + (oh * w.row_stride + ow) * w.pos_stride];
}

std::string floats_text(const std::vector<float>& v) {
  std::ostringstream s;
  s.precision(9);
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  return s.str();
}

// A Conv with sparse weights and random geometry: 1x1 to 3x3 kernels, strides 1-2, dilations,
// asymmetric pads, groups, bias, and a fused Relu or residual Add: 95-98 % zeros; 1x1 kernels
// with unit strides, 64+ channels per group and 32+ positions (DirectConv2d::sparse_pays: the
// sparse path is taken there, whichever dense tile the CPU runs).
std::string sparse_conv_model(std::mt19937& rng, Shape* xs, double* zeros) {
  const int64_t G = rng() % 3 == 0 ? 2 : 1;
  const int64_t kh = 1 + rng() % 3, kw = 1 + rng() % 3;
  const bool one = kh * kw == 1;
  const int64_t C = G * (one ? 64 + rng() % 16 : 1 + rng() % 24), M = G * (1 + rng() % 40);
  const int64_t sh = one ? 1 : 1 + rng() % 2, sw = one ? 1 : 1 + rng() % 2;
  const int64_t dh = 1 + rng() % 2, dw = 1 + rng() % 2, ph = rng() % 2, pw = rng() % 2, ph2 = rng() % 3;
  const int64_t H = (kh - 1) * dh + (one ? 4 : 1) + rng() % 16, W = (kw - 1) * dw + (one ? 8 : 1) + rng() % 20;
  *zeros = 0.95 + static_cast<double>(rng() % 4) / 100.0;
  *xs = {1 + static_cast<int64_t>(rng() % 2), C, H, W};
  const bool bias = rng() % 2;
  const int tail = static_cast<int>(rng() % 3);  // none, Relu, residual Add + Relu
  std::ostringstream m;
  m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
  m << "g (float[" << test::dims_text(*xs) << "] x) => (float[n, m, oh, ow] y)\n";
  m << "<float[" << M << "," << C / G << "," << kh << "," << kw << "] w = {"
    << floats_text(sparse_floats(M * (C / G) * kh * kw, *zeros, rng)) << "}";
  if (bias) m << ", float[" << M << "] b = {" << test::random_floats_text(M, rng) << "}";
  m << ">\n{\n  c = Conv<group = " << G << ", strides = [" << sh << "," << sw << "], dilations = [" << dh << "," << dw
    << "], pads = [" << ph << "," << pw << "," << ph2 << "," << pw << "]>(x, w" << (bias ? ", b" : "") << ")\n";
  if (tail == 0) m << "  y = Identity(c)\n";
  if (tail == 1) m << "  y = Relu(c)\n";
  if (tail == 2) m << "  r = Relu(c)\n  a = Add(c, r)\n  y = Relu(a)\n";
  m << "}\n";
  return m.str();
}

}  // namespace

TEST_CASE("cpu Conv with mostly zero weights takes the sparse path and matches the reference, 1 and 2 threads") {
  std::mt19937 rng(90);
  for (int trial = 0; trial < 80; ++trial) {
    Shape xs;
    double zeros = 0;
    const std::string text = sparse_conv_model(rng, &xs, &zeros);
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    test::check_against_reference(text, {{"x", x}}, {1e-4, 1e-4, 1 + trial % 2, "cpu:conv-direct-sparse("});
  }
}

TEST_CASE("sparse rows give the dense direct path's results bit for bit, whatever the thread count") {
  std::mt19937 rng(7);
  rt::ThreadPool pool(2);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t C = 1 + rng() % 20, M = 1 + rng() % 37, KH = 1 + rng() % 3, KW = 1 + rng() % 3;
    linalg::Conv2dGeom g{};
    g.C = C;
    g.KH = KH;
    g.KW = KW;
    g.sh = 1 + rng() % 2;
    g.sw = 1 + rng() % 2;
    g.dh = 1 + rng() % 2;
    g.dw = 1;
    g.ph = rng() % 2;
    g.pw = rng() % 2;
    g.H = (KH - 1) * g.dh + 1 + rng() % 12;
    g.W = (KW - 1) * g.dw + 1 + rng() % 25;
    g.OH = (g.H + 2 * g.ph - (KH - 1) * g.dh - 1) / g.sh + 1;
    g.OW = (g.W + 2 * g.pw - (KW - 1) * g.dw - 1) / g.sw + 1;
    const double zeros = static_cast<double>(rng() % 100) / 100.0;  // any share: the path is forced here
    const auto w = sparse_floats(M * C * KH * KW, zeros, rng);
    const auto x = sparse_floats(C * g.H * g.W, 0.1, rng);
    INFO("trial " << trial << " C " << C << " M " << M << " k " << KH << "x" << KW << " zeros " << zeros);
    linalg::DirectConv2d dense(M, C, KH, KW, w.data()), sparse(M, C, KH, KW, w.data(), true);
    REQUIRE(sparse.sparse());
    REQUIRE(std::string(sparse.tile_name()) == "sparse");
    std::vector<float> s1(dense.scratch_floats(g) + 16), s2(sparse.scratch_floats(g) + 16),
        s3(sparse.scratch_floats(g) + 16);
    auto aligned = [](std::vector<float>& v) {
      auto p = reinterpret_cast<uintptr_t>(v.data());
      return reinterpret_cast<float*>((p + 63) / 64 * 64);
    };
    const auto a = dense.run(x.data(), g, aligned(s1), nullptr);
    const auto b = sparse.run(x.data(), g, aligned(s2), nullptr);
    const auto c = sparse.run(x.data(), g, aligned(s3), &pool);
    // The dense result may be channels-last (the AVX-512 tile): compared element by element.
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const float va = wide_at(a, m, oh, ow), vb = wide_at(b, m, oh, ow), vc = wide_at(c, m, oh, ow);
          REQUIRE(std::memcmp(&va, &vb, sizeof(float)) == 0);
          REQUIRE(std::memcmp(&vb, &vc, sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("1x1 Convs take the sparse path only where it was measured to pay") {
  std::mt19937 rng(4);
  const bool c16 = linalg::c16::available();
  const char* dense = c16 ? "cpu:conv-pointwise-avx512" : "cpu:conv-pointwise-packed";
  const char* strided = c16 ? "cpu:conv-direct-avx512-c16" : "cpu:conv-im2col-packed";
  struct Case {
    int64_t C, M, H, W, stride;
    double zeros;
    const char* kernel;
  } cases[] = {{64, 32, 8, 8, 1, 0.95, "cpu:conv-direct-sparse(95%)"},
               {64, 32, 8, 8, 1, 0.9, c16 ? dense : "cpu:conv-direct-sparse(90%)"},  // AVX-512: 90 % needs 128 channels
               {128, 32, 10, 10, 1, 0.9, "cpu:conv-direct-sparse(90%)"},             // ... and 100 positions
               {128, 32, 8, 8, 1, 0.9, c16 ? dense : "cpu:conv-direct-sparse(90%)"},
               {64, 32, 8, 8, 1, 0.85, dense},  // below 90 %
               {16, 32, 8, 8, 1, 0.95, dense},  // few taps per row
               {64, 32, 4, 4, 1, 0.95, dense},  // 16 positions
               {64, 32, 8, 8, 2, 0.95, strided}};
  for (const auto& c : cases) {
    const int64_t OH = (c.H - 1) / c.stride + 1, OW = (c.W - 1) / c.stride + 1;
    const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1," + std::to_string(c.C) + "," +
                             std::to_string(c.H) + "," + std::to_string(c.W) + "] x) => (float[1," +
                             std::to_string(c.M) + "," + std::to_string(OH) + "," + std::to_string(OW) +
                             "] y)\n<float[" + std::to_string(c.M) + "," + std::to_string(c.C) + ",1,1] w = {" +
                             floats_text(sparse_floats(c.M * c.C, c.zeros, rng)) + "}>\n{ y = Conv<strides = [" +
                             std::to_string(c.stride) + "," + std::to_string(c.stride) + "]>(x, w) }\n";
    INFO(text.substr(0, 120));
    auto s = test::check_against_reference(text, {{"x", test::random_tensor({1, c.C, c.H, c.W}, rng, -1.f, 1.f)}},
                                           {1e-4, 1e-4});
    REQUIRE(s->profile().at(0).kernel == c.kernel);
  }
}

TEST_CASE("the sparse path is chosen from the measured zero share on, and the profile says so") {
  std::mt19937 rng(3);
  // 3x3 kernels on 8x8 maps (64 positions): from 70 % against the AVX2 tile, from 95 % against
  // the AVX-512 tile (90 % only with 100+ positions).
  const bool c16 = linalg::c16::available();
  const double from = c16 ? 0.95 : 0.7;
  for (double zeros : {0.5, 0.65, 0.75, 0.92, 0.96}) {
    const std::string text =
        "<ir_version: 8, opset_import: [\"\" : 13]>\n"
        "g (float[1, 16, 8, 8] x) => (float[1, 32, 8, 8] y)\n"
        "<float[32, 16, 3, 3] w = {" +
        floats_text(sparse_floats(32 * 16 * 9, zeros, rng)) +
        "}>\n{ c = Conv<pads = [1, 1, 1, 1]>(x, w)  y = Relu(c) }\n";
    rt::SessionOptions so;
    so.profile = true;
    auto s = rt::Session::create(parse_model_text(text), so);
    s->run({{"x", test::random_tensor({1, 16, 8, 8}, rng, -1.f, 1.f)}});
    const std::string kernel = s->profile().at(0).kernel;
    INFO("zeros " << zeros);
    if (zeros >= from) {
      REQUIRE(kernel == "cpu:conv-direct-sparse(" + std::to_string(static_cast<int>(zeros * 100 + 0.5)) + "%)+relu");
    } else {
      REQUIRE(kernel == std::string("cpu:conv-direct-") + (c16 ? "avx512-c16" : "6x16") + "+relu");
    }
  }
  // 16 x 16 positions: 90 % pays against either tile.
  const std::string text =
      "<ir_version: 8, opset_import: [\"\" : 13]>\n"
      "g (float[1, 16, 16, 16] x) => (float[1, 32, 16, 16] y)\n"
      "<float[32, 16, 3, 3] w = {" +
      floats_text(sparse_floats(32 * 16 * 9, 0.9, rng)) + "}>\n{ y = Conv<pads = [1, 1, 1, 1]>(x, w) }\n";
  rt::SessionOptions so;
  so.profile = true;
  auto s = rt::Session::create(parse_model_text(text), so);
  s->run({{"x", test::random_tensor({1, 16, 16, 16}, rng, -1.f, 1.f)}});
  REQUIRE(s->profile().at(0).kernel == "cpu:conv-direct-sparse(90%)");
}

TEST_CASE("Gemm and MatMul with a mostly zero constant B run on sparse columns and match the reference") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const bool matmul = trial % 3 == 2;
    const int64_t M = trial % 4 == 0 ? 1 + rng() % 5 : 1, K = 1 + rng() % 300, N = 1 + rng() % 90;
    // Batch 1 from 86 % zeros; several rows stay sparse from 95 % (below: the dense GEMM).
    const double zeros = 0.86 + static_cast<double>(rng() % 12) / 100.0;
    std::ostringstream m;
    m << "<ir_version: 8, opset_import: [\"\" : 13]>\n";
    if (matmul) {
      const bool rank3 = rng() % 2;
      const std::string a =
          rank3 ? "2," + std::to_string(M) + "," + std::to_string(K) : std::to_string(M) + "," + std::to_string(K);
      m << "g (float[" << a << "] x) => (float[" << (rank3 ? "2," : "") << M << "," << N << "] y)\n";
      m << "<float[" << K << "," << N << "] w = {" << floats_text(sparse_floats(K * N, zeros, rng)) << "}>\n";
      m << "{ y = MatMul(x, w) }\n";
    } else {
      const bool tb = rng() % 2;
      const int c_kind = static_cast<int>(rng() % 4);  // none, [N], [1, N], [M, N]
      m << "g (float[" << M << "," << K << "] x) => (float[" << M << "," << N << "] y)\n";
      m << "<float[" << (tb ? N : K) << "," << (tb ? K : N) << "] w = {"
        << floats_text(sparse_floats(K * N, zeros, rng)) << "}";
      if (c_kind == 1) m << ", float[" << N << "] c = {" << test::random_floats_text(N, rng) << "}";
      if (c_kind == 2) m << ", float[1," << N << "] c = {" << test::random_floats_text(N, rng) << "}";
      if (c_kind == 3) m << ", float[" << M << "," << N << "] c = {" << test::random_floats_text(M * N, rng) << "}";
      m << ">\n{ y = Gemm<transB = " << tb << ", alpha = 0.75, beta = 1.5>(x, w" << (c_kind ? ", c" : "") << ") }\n";
    }
    Shape xs = matmul && m.str().find("float[2,") != std::string::npos ? Shape{2, M, K} : Shape{M, K};
    const Tensor x = test::random_tensor(xs, rng, -2.f, 2.f);
    test::check_against_reference(m.str(), {{"x", x}}, {1e-4, 1e-4, 1 + trial % 2, "cpu:gemm-sparse-csr("});
  }
}

TEST_CASE("sparse Gemm: the same bytes on 1 and 2 threads; chosen from 85 % zeros") {
  std::mt19937 rng(12);
  for (double zeros : {0.8, 0.9}) {
    const std::string text =
        "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1, 700] x) => (float[1, 400] y)\n"
        "<float[400, 700] w = {" +
        floats_text(sparse_floats(400 * 700, zeros, rng)) + "}>\n{ y = Gemm<transB = 1>(x, w) }\n";
    const Tensor x = test::random_tensor({1, 700}, rng, -1.f, 1.f);
    rt::SessionOptions so;
    so.profile = true;
    auto one = rt::Session::create(parse_model_text(text), so);
    so.threads = 2;
    auto two = rt::Session::create(parse_model_text(text), so);
    const Tensor a = one->run({{"x", x}})[0].second, b = two->run({{"x", x}})[0].second;
    REQUIRE(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
    const std::string kernel = one->profile().at(0).kernel;
    REQUIRE(kernel == (zeros > 0.85 ? "cpu:gemm-sparse-csr(90%, dense when M > 1)" : "reference"));
  }
}
