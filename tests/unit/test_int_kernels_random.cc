// Integer kernels against references written here on random shapes, types and parameters:
// QLinearConv / QLinearMatMul against a float (double) computation quantized as
// QuantizeLinear does (equal within one step; ties of the float path may round the other
// way), ConvInteger / MatMulInteger against exact int64 sums. Constant and run-time weights,
// one and two threads.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "runtime/linalg/igemm.h"

using namespace edge;
using test::NodeSpec;
using test::run_node;

namespace {

// A tensor of random 8-bit values over the whole range of the type.
Tensor random_q(DType t, const Shape& shape, std::mt19937& rng) {
  Tensor x(t, shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int v = static_cast<int>(rng() % 256);
    if (t == DType::kUint8) {
      x.data<uint8_t>()[i] = static_cast<uint8_t>(v);
    } else {
      x.data<int8_t>()[i] = static_cast<int8_t>(v - 128);
    }
  }
  return x;
}

Tensor zero_points(DType t, int64_t n, bool scalar, std::mt19937& rng) {
  Tensor z = random_q(t, scalar ? Shape{} : Shape{n}, rng);
  return z;
}

Tensor scales(int64_t n, bool scalar, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor s(DType::kFloat, scalar ? Shape{} : Shape{n});
  for (int64_t i = 0; i < s.numel(); ++i) s.data<float>()[i] = u(rng);
  return s;
}

double at(const Tensor& t, int64_t i) { return t.get_double(t.numel() == 1 ? 0 : i); }

// Compares quantized outputs with real-valued references quantized with (ys, yzp).
void check_quantized(const Tensor& got, const std::vector<double>& real, float ys, int32_t yzp, int64_t* exact,
                     int64_t* total) {
  REQUIRE(got.numel() == static_cast<int64_t>(real.size()));
  const double lo = got.dtype() == DType::kUint8 ? 0 : -128, hi = got.dtype() == DType::kUint8 ? 255 : 127;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double want = std::clamp(std::nearbyint(real[static_cast<size_t>(i)] / ys) + yzp, lo, hi);
    const double diff = std::fabs(got.get_double(i) - want);
    INFO("element " << i << " got " << got.get_double(i) << " want " << want);
    REQUIRE(diff <= 1.0);
    *exact += diff == 0.0;
    ++*total;
  }
}

// Multi-index helpers over row-major shapes.
int64_t flat(const Shape& shape, const Shape& idx) {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}
bool next(const Shape& shape, Shape& idx) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

struct ConvGeom {
  Shape in, k, s, dil, pb, pe, out;
  std::string auto_pad = "NOTSET";
};

// Output size and pads as the ONNX spec defines them.
void resolve(ConvGeom& g) {
  const size_t r = g.in.size();
  g.out.assign(r, 0);
  for (size_t d = 0; d < r; ++d) {
    const int64_t eff = (g.k[d] - 1) * g.dil[d] + 1;
    if (g.auto_pad == "SAME_UPPER" || g.auto_pad == "SAME_LOWER") {
      g.out[d] = (g.in[d] + g.s[d] - 1) / g.s[d];
      const int64_t total = std::max<int64_t>(0, (g.out[d] - 1) * g.s[d] + eff - g.in[d]);
      g.pb[d] = g.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pe[d] = total - g.pb[d];
    } else {
      if (g.auto_pad == "VALID") g.pb[d] = g.pe[d] = 0;
      g.out[d] = (g.in[d] + g.pb[d] + g.pe[d] - eff) / g.s[d] + 1;
    }
  }
}

// acc[n, m, o] = sum (x - xzp) * (w - wzp[m]) over the window, padding excluded (it reads 0).
std::vector<int64_t> reference_conv(const Tensor& x, int32_t xzp, const Tensor& w, const Tensor& wzp, int64_t G,
                                    const ConvGeom& g) {
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), Cg = C / G, Mg = M / G;
  Shape xs(x.shape()), ws(w.shape());
  std::vector<int64_t> acc;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      Shape o(g.out.size(), 0);
      do {
        int64_t sum = 0;
        for (int64_t c = 0; c < Cg; ++c) {
          Shape kk(g.k.size(), 0);
          do {
            Shape xi{n, (m / Mg) * Cg + c};
            bool inside = true;
            for (size_t d = 0; d < g.k.size(); ++d) {
              const int64_t i = o[d] * g.s[d] - g.pb[d] + kk[d] * g.dil[d];
              inside = inside && i >= 0 && i < g.in[d];
              xi.push_back(i);
            }
            if (!inside) continue;
            Shape wi{m, c};
            wi.insert(wi.end(), kk.begin(), kk.end());
            sum += (static_cast<int64_t>(x.get_double(flat(xs, xi))) - xzp) *
                   (static_cast<int64_t>(w.get_double(flat(ws, wi))) - static_cast<int64_t>(at(wzp, m)));
          } while (next(g.k, kk));
        }
        acc.push_back(sum);
      } while (next(g.out, o));
    }
  }
  return acc;
}

}  // namespace

TEST_CASE("QLinearConv and ConvInteger match references on random geometry") {
  std::mt19937 rng(7);
  rt::ThreadPool pool(2);
  int64_t exact = 0, total = 0;
  const char* pads[] = {"NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  for (int trial = 0; trial < 120; ++trial) {
    const size_t rank = 1 + rng() % 3;
    const int64_t N = 1 + rng() % 2, G = 1 + rng() % 3, Cg = 1 + rng() % 3, Mg = 1 + rng() % 3;
    ConvGeom g;
    g.auto_pad = pads[rng() % 5];
    for (size_t d = 0; d < rank; ++d) {
      g.k.push_back(1 + rng() % 3);
      g.s.push_back(1 + rng() % 2);
      g.dil.push_back(1 + rng() % 2);
      g.pb.push_back(rng() % 3);
      g.pe.push_back(rng() % 3);
      g.in.push_back((g.k[d] - 1) * g.dil[d] + 1 + rng() % (rank == 3 ? 3 : 6));
    }
    resolve(g);
    const DType xt = rng() % 2 ? DType::kUint8 : DType::kInt8, wt = rng() % 3 ? DType::kInt8 : DType::kUint8;
    const bool per_channel = rng() % 2, bias = rng() % 2, constant = rng() % 2;
    Shape xshape{N, G * Cg}, wshape{G * Mg, Cg};
    xshape.insert(xshape.end(), g.in.begin(), g.in.end());
    wshape.insert(wshape.end(), g.k.begin(), g.k.end());
    const int64_t M = G * Mg;
    Tensor x = random_q(xt, xshape, rng), w = random_q(wt, wshape, rng);
    Tensor xzp = zero_points(xt, 1, true, rng), wzp = zero_points(wt, M, !per_channel, rng);
    Tensor xs = scales(1, true, 0.01f, 0.1f, rng), ws = scales(M, !per_channel, 0.001f, 0.05f, rng);
    Tensor b(DType::kInt32, {M});
    for (int64_t m = 0; m < M; ++m) b.data<int32_t>()[m] = static_cast<int32_t>(rng() % 4001) - 2000;
    INFO("trial " << trial << " rank " << rank << " G " << G << " auto_pad " << g.auto_pad);
    auto attrs = [&](onnx::NodeProto& n) {
      test::add_int_attr(n, "group", G);
      test::add_ints_attr(n, "strides", g.s.to_vector());
      test::add_ints_attr(n, "dilations", g.dil.to_vector());
      if (g.auto_pad == "NOTSET") {
        std::vector<int64_t> p = g.pb.to_vector();
        p.insert(p.end(), g.pe.begin(), g.pe.end());
        test::add_ints_attr(n, "pads", p);
      } else {
        test::add_string_attr(n, "auto_pad", g.auto_pad);
      }
    };
    const int32_t x_zp = static_cast<int32_t>(xzp.get_double(0));
    const std::vector<int64_t> acc = reference_conv(x, x_zp, w, wzp, G, g);
    // ConvInteger: exact.
    NodeSpec ci{"", "ConvInteger", 10, {x, w, xzp, wzp}};
    ci.attrs = attrs;
    ci.constant_inputs = constant;
    ci.pool = trial % 2 ? &pool : nullptr;
    const Tensor yi = run_node(ci)[0];
    Shape out{N, M};
    out.insert(out.end(), g.out.begin(), g.out.end());
    REQUIRE(yi.shape() == out);
    for (int64_t i = 0; i < yi.numel(); ++i) REQUIRE(yi.data<int32_t>()[i] == acc[static_cast<size_t>(i)]);
    // QLinearConv: the real result, quantized with a scale that spreads it over ~200 steps.
    const int64_t on = yi.numel() / (N * M);
    std::vector<double> real(acc.size());
    double amax = 1e-6;
    for (size_t i = 0; i < acc.size(); ++i) {
      const int64_t m = (static_cast<int64_t>(i) / on) % M;
      const double sc = at(xs, 0) * at(ws, m);
      real[i] = (static_cast<double>(acc[i]) + (bias ? b.data<int32_t>()[m] : 0)) * sc;
      amax = std::max(amax, std::fabs(real[i]));
    }
    const DType yt = rng() % 2 ? DType::kUint8 : DType::kInt8;
    const float ys = static_cast<float>(amax / 100.0);
    const int32_t yzp = yt == DType::kUint8 ? 128 : 0;
    const Tensor yzp_t = yt == DType::kUint8 ? Tensor::scalar<uint8_t>(128) : Tensor::scalar<int8_t>(0);
    const std::optional<Tensor> bias_t = bias ? std::optional<Tensor>(b) : std::nullopt;
    NodeSpec q{"", "QLinearConv", 10, {x, xs, xzp, w, ws, wzp, Tensor::scalar<float>(ys), yzp_t, bias_t}};
    q.attrs = attrs;
    q.constant_inputs = constant;
    q.pool = ci.pool;
    const Tensor y = run_node(q)[0];
    REQUIRE(y.dtype() == yt);
    check_quantized(y, real, ys, yzp, &exact, &total);
  }
  INFO(exact << " of " << total << " exact");
  REQUIRE(exact >= total * 99 / 100);
}

TEST_CASE("QLinearMatMul and MatMulInteger match references with broadcasting and per-row/column parameters") {
  std::mt19937 rng(11);
  rt::ThreadPool pool(2);
  int64_t exact = 0, total = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const int64_t M = 1 + rng() % 6, K = 1 + rng() % 40, N = 1 + rng() % 7;
    const size_t nb = rng() % 3;
    Shape ab, bb, batch;
    for (size_t d = 0; d < nb; ++d) {
      const int64_t s = 1 + rng() % 3;
      batch.push_back(s);
      ab.push_back(rng() % 3 ? s : 1);
      bb.push_back(rng() % 3 ? s : 1);
    }
    if (rng() % 3 == 0) bb.clear();  // B of rank 2 against batched A
    for (size_t d = 0; d < nb; ++d) batch[d] = std::max(ab[d], bb.empty() ? 1 : bb[d]);
    Shape as = ab, bs = bb;
    as.push_back(M);
    as.push_back(K);
    bs.push_back(K);
    bs.push_back(N);
    const DType at_ = rng() % 2 ? DType::kUint8 : DType::kInt8, bt = rng() % 2 ? DType::kInt8 : DType::kUint8;
    const bool row = rng() % 2, col = rng() % 2, constant = rng() % 2;
    Tensor a = random_q(at_, as, rng), b = random_q(bt, bs, rng);
    Tensor azp = zero_points(at_, M, !row, rng), bzp = zero_points(bt, N, !col, rng);
    Tensor asc = scales(M, !row, 0.01f, 0.1f, rng), bsc = scales(N, !col, 0.001f, 0.05f, rng);
    // Reference over the broadcast batch.
    Shape out = batch;
    out.push_back(M);
    out.push_back(N);
    std::vector<int64_t> acc;
    std::vector<double> real;
    Shape idx(out.size(), 0);
    do {
      Shape ai, bi;
      for (size_t d = 0; d < nb; ++d) ai.push_back(ab[d] == 1 ? 0 : idx[d]);
      if (!bb.empty()) {
        for (size_t d = 0; d < nb; ++d) bi.push_back(bb[d] == 1 ? 0 : idx[d]);
      }
      const int64_t m = idx[nb], n = idx[nb + 1];
      int64_t s = 0;
      for (int64_t k = 0; k < K; ++k) {
        Shape aa = ai, bbi = bi;
        aa.push_back(m);
        aa.push_back(k);
        bbi.push_back(k);
        bbi.push_back(n);
        s += (static_cast<int64_t>(a.get_double(flat(as, aa))) - static_cast<int64_t>(at(azp, m))) *
             (static_cast<int64_t>(b.get_double(flat(bs, bbi))) - static_cast<int64_t>(at(bzp, n)));
      }
      acc.push_back(s);
      real.push_back(static_cast<double>(s) * at(asc, m) * at(bsc, n));
    } while (next(out, idx));
    INFO("trial " << trial << " A " << shape_str(as) << " B " << shape_str(bs));
    NodeSpec mi{"", "MatMulInteger", 10, {a, b, azp, bzp}};
    mi.constant_inputs = constant;
    mi.pool = trial % 2 ? &pool : nullptr;
    const Tensor yi = run_node(mi)[0];
    REQUIRE(yi.shape() == out);
    for (int64_t i = 0; i < yi.numel(); ++i) REQUIRE(yi.data<int32_t>()[i] == acc[static_cast<size_t>(i)]);
    double amax = 1e-6;
    for (double v : real) amax = std::max(amax, std::fabs(v));
    const float ys = static_cast<float>(amax / 120.0);
    NodeSpec q{
        "", "QLinearMatMul", 10, {a, asc, azp, b, bsc, bzp, Tensor::scalar<float>(ys), Tensor::scalar<int8_t>(-3)}};
    q.constant_inputs = constant;
    q.pool = mi.pool;
    check_quantized(run_node(q)[0], real, ys, -3, &exact, &total);
  }
  INFO(exact << " of " << total << " exact");
  REQUIRE(exact >= total * 99 / 100);
}

TEST_CASE("igemm_s16: the AVX2 and portable paths equal a plain loop, wrapping past int32") {
  std::mt19937 rng(13);
  rt::ThreadPool pool(2);
  auto reference = [](int64_t M, int64_t N, int64_t K, const std::vector<int16_t>& A, const std::vector<int16_t>& B,
                      std::vector<int32_t>& C, bool accumulate) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        uint32_t s = accumulate ? static_cast<uint32_t>(C[static_cast<size_t>(m * N + n)]) : 0u;
        for (int64_t k = 0; k < K; ++k) {
          s += static_cast<uint32_t>(A[static_cast<size_t>(m * K + k)] * B[static_cast<size_t>(k * N + n)]);
        }
        C[static_cast<size_t>(m * N + n)] = static_cast<int32_t>(s);
      }
    }
  };
  for (int trial = 0; trial < 60; ++trial) {
    const bool huge = trial == 0;  // sums far past the int32 range
    const int64_t M = huge ? 3 : 1 + rng() % 20, N = huge ? 5 : 1 + rng() % 300, K = huge ? 40000 : 1 + rng() % 70;
    std::vector<int16_t> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * N));
    for (auto& v : A) v = static_cast<int16_t>(huge ? 255 : static_cast<int>(rng() % 511) - 255);
    for (auto& v : B) v = static_cast<int16_t>(huge ? 255 : static_cast<int>(rng() % 511) - 255);
    const bool accumulate = rng() % 2;
    std::vector<int32_t> init(static_cast<size_t>(M * N));
    for (auto& v : init) v = static_cast<int32_t>(rng() % 2001) - 1000;
    std::vector<int32_t> want = init;
    reference(M, N, K, A, B, want, accumulate);
    for (bool generic : {false, true}) {
      rt::linalg::igemm_force_generic(generic);
      std::vector<int32_t> got = init;
      rt::linalg::igemm_s16(M, N, K, A.data(), K, B.data(), N, got.data(), N, accumulate, trial % 2 ? &pool : nullptr);
      INFO("trial " << trial << " M " << M << " N " << N << " K " << K << " generic " << generic);
      REQUIRE(got == want);
    }
    rt::linalg::igemm_force_generic(false);
  }
}
