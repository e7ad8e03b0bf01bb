// cpu backend: depthwise QLinearConv (ai.onnx, and the QDQ fusion's form in the private domain):
// one input and one output channel per group, 2-D, constant weights and zero points. A direct
// sliding window per channel plane instead of the reference's patch matrix: the plane is
// widened once to int16 x - x_zero_point inside a zero border (a real 0, as the reference reads
// padding), each kernel tap adds w * x along whole output rows into int32 sums (wrapping like
// the reference's), and the sums are requantized as the reference does (q_requantize_row), so
// the results are bit-identical to it. The loops are compiled for AVX2 (chosen at run time) and
// for the baseline ISA. With 8 or more channels the image is copied channels-last instead and
// each output position sums its taps across all channels at once (vectorized over channels),
// which suits the small maps of late layers.
#include <algorithm>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_conv_params.h"
#include "runtime/linalg/nhwc_copy.h"

namespace edge::rt {
namespace {

struct PlaneGeom {
  int64_t H, W, Hp, Wp, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
};

// 3x3 windows: all nine taps summed per output element in registers (one pass over the output).
template <int64_t SW>
__attribute__((always_inline)) inline void plane_sums_3x3(const PlaneGeom& g, const int16_t* xp, const int16_t* w,
                                                          uint32_t* acc) {
  const int64_t sw = SW > 0 ? SW : g.sw, dh = g.dh * g.Wp, dw = g.dw;
  const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int16_t* r0 = xp + oh * g.sh * g.Wp;
    const int16_t* r1 = r0 + dh;
    const int16_t* r2 = r1 + dh;
    uint32_t* a = acc + oh * g.OW;
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int64_t i = ow * sw;
      const int32_t s = w0 * r0[i] + w1 * r0[i + dw] + w2 * r0[i + 2 * dw] + w3 * r1[i] + w4 * r1[i + dw] +
                        w5 * r1[i + 2 * dw] + w6 * r2[i] + w7 * r2[i + dw] + w8 * r2[i + 2 * dw];
      a[ow] = static_cast<uint32_t>(s);  // |s| <= 9 * 255 * 255: no overflow
    }
  }
}

// acc[OH * OW] = sum over taps of w[t] * xp[window] for one padded int16 plane (Hp x Wp).
__attribute__((always_inline)) inline void plane_sums(const PlaneGeom& g, const int16_t* xp, const int16_t* w,
                                                      uint32_t* acc) {
  if (g.KH == 3 && g.KW == 3) {
    if (g.sw == 1) {
      plane_sums_3x3<1>(g, xp, w, acc);
    } else if (g.sw == 2) {
      plane_sums_3x3<2>(g, xp, w, acc);
    } else {
      plane_sums_3x3<0>(g, xp, w, acc);
    }
    return;
  }
  std::fill(acc, acc + g.OH * g.OW, 0u);
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const int32_t wv = w[kh * g.KW + kw];
      if (wv == 0) continue;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int16_t* src = xp + (oh * g.sh + kh * g.dh) * g.Wp + kw * g.dw;
        uint32_t* a = acc + oh * g.OW;
        if (g.sw == 1) {
          for (int64_t ow = 0; ow < g.OW; ++ow) a[ow] += static_cast<uint32_t>(wv * static_cast<int32_t>(src[ow]));
        } else {
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            a[ow] += static_cast<uint32_t>(wv * static_cast<int32_t>(src[ow * g.sw]));
          }
        }
      }
    }
  }
}

// Channels-last rows [r0, r1) of one image: xs is the padded NHWC int16 copy (x - x_zero_point),
// wt the weights as [tap][channel]; every output position sums its taps across all channels at
// once (vectorized over channels), then requantizes them into y (NCHW: channel stride `on`).
struct RowsJob {
  const PlaneGeom* g;
  int64_t C;
  const int16_t* xs;
  const int16_t* wt;
  const int64_t* tap;    // element offsets of the taps in xs
  const int16_t* wpair;  // C % 16 == 0: the weights by tap pairs, interleaved for vpmaddwd (else nullptr)
  const QConvOutput* o;
  void* y;  // this image's output
  bool y_signed;
};

// The taps' sums of one position across all channels, s[c] (wrapping), one channel at a time.
__attribute__((always_inline)) inline void position_sums(const RowsJob& j, int64_t T, const int16_t* x, uint32_t* s) {
  const int64_t C = j.C;
  std::fill(s, s + C, 0u);
  for (int64_t t = 0; t < T; ++t) {
    const int16_t* xr = x + j.tap[t];
    const int16_t* wr = j.wt + t * C;
    for (int64_t c = 0; c < C; ++c) s[c] += static_cast<uint32_t>(int32_t{wr[c]} * int32_t{xr[c]});
  }
}

// acc: 2 * OW * C values of work space (the row's sums, then its requantized values).
// `sums(x, s)` writes the taps' sums of the position at x.
template <class Sums>
__attribute__((always_inline)) inline void nhwc_rows(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc,
                                                     Sums&& sums) {
  const PlaneGeom& g = *j.g;
  const int64_t C = j.C, on = g.OH * g.OW, OW = g.OW;
  const QConvOutput& o = *j.o;
  const float a = static_cast<float>(o.lo - o.y_zero_point - 1), b = static_cast<float>(o.hi - o.y_zero_point + 1);
  const float flo = static_cast<float>(o.lo), fhi = static_cast<float>(o.hi), fz = static_cast<float>(o.y_zero_point);
  auto* res = reinterpret_cast<int32_t*>(acc + OW * C);
  for (int64_t oh = r0; oh < r1; ++oh) {
    for (int64_t ow = 0; ow < OW; ++ow) {
      const int16_t* x = j.xs + (oh * g.sh * g.Wp + ow * g.sw) * C;
      uint32_t* s = acc + ow * C;
      sums(x, s);
      int32_t* r = res + ow * C;
      for (int64_t c = 0; c < C; ++c) {
        const int32_t v = q_wrap_add(static_cast<int32_t>(s[c]), o.bias ? o.bias[c] : 0);
        r[c] = q_requantize_one(v, o.multiplier[c], a, b, fz, flo, fhi);
      }
    }
    // Channels-last results to the NCHW output: one contiguous run per channel.
    for (int64_t c = 0; c < C; ++c) {
      const int64_t base = c * on + oh * OW;
      if (j.y_signed) {
        for (int64_t ow = 0; ow < OW; ++ow) static_cast<int8_t*>(j.y)[base + ow] = static_cast<int8_t>(res[ow * C + c]);
      } else {
        for (int64_t ow = 0; ow < OW; ++ow) {
          static_cast<uint8_t*>(j.y)[base + ow] = static_cast<uint8_t>(res[ow * C + c]);
        }
      }
    }
  }
}

void nhwc_rows_generic(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc) {
  const int64_t T = j.g->KH * j.g->KW;
  nhwc_rows(j, r0, r1, acc, [&](const int16_t* x, uint32_t* s) { position_sums(j, T, x, s); });
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The number of int16 weights interleaved_weights writes: per pair of taps and block of 16
// channels, 32 values (two registers for vpmaddwd).
int64_t interleaved_size(int64_t T, int64_t C) { return (T + 1) / 2 * (C / 16) * 32; }

// wt [T][C] -> per (tap pair, 16-channel block): unpacklo/unpackhi_epi16 of the pair's two
// weight rows (a missing second tap of an odd T is 0), as the sums interleave the inputs.
__attribute__((target("avx2"))) void interleaved_weights(const int16_t* wt, int64_t T, int64_t C, int16_t* out) {
  const int64_t blocks = C / 16;
  for (int64_t tp = 0; tp < (T + 1) / 2; ++tp) {
    for (int64_t cb = 0; cb < blocks; ++cb) {
      const __m256i wa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + 2 * tp * C + cb * 16));
      const __m256i wb = 2 * tp + 1 < T
                             ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + (2 * tp + 1) * C + cb * 16))
                             : _mm256_setzero_si256();
      int16_t* dst = out + (tp * blocks + cb) * 32;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_unpacklo_epi16(wa, wb));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16), _mm256_unpackhi_epi16(wa, wb));
    }
  }
}

// position_sums for C % 16 == 0 with vpmaddwd: two taps' products per instruction (each pair
// sum <= 2 * 255 * 255, exact), channels (0-3, 8-11) and (4-7, 12-15) of a block in two registers.
__attribute__((target("avx2"))) inline void position_sums_madd(const RowsJob& j, int64_t T, const int16_t* x,
                                                               uint32_t* s) {
  const int64_t C = j.C, blocks = C / 16, pairs = (T + 1) / 2;
  for (int64_t cb = 0; cb < blocks; ++cb) {
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
    for (int64_t tp = 0; tp < pairs; ++tp) {
      const int64_t t1 = 2 * tp + 1 < T ? 2 * tp + 1 : 2 * tp;  // odd T: read again, against zero weights
      const __m256i xa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + j.tap[2 * tp] + cb * 16));
      const __m256i xb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + j.tap[t1] + cb * 16));
      const int16_t* wp = j.wpair + (tp * blocks + cb) * 32;
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb),
                                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp))));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb),
                                                  _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 16))));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + cb * 16), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(s + cb * 16 + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}

__attribute__((target("avx2"))) void nhwc_rows_avx2(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc) {
  const int64_t T = j.g->KH * j.g->KW;
  if (j.wpair) {
    nhwc_rows(j, r0, r1, acc, [&](const int16_t* x, uint32_t* s) { position_sums_madd(j, T, x, s); });
  } else {
    nhwc_rows(j, r0, r1, acc, [&](const int16_t* x, uint32_t* s) { position_sums(j, T, x, s); });
  }
}
__attribute__((target("avx2"))) void plane_sums_avx2(const PlaneGeom& g, const int16_t* xp, const int16_t* w,
                                                     uint32_t* acc) {
  plane_sums(g, xp, w, acc);
}
bool has_avx2() {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}
#else
int64_t interleaved_size(int64_t, int64_t) { return 0; }
void interleaved_weights(const int16_t*, int64_t, int64_t, int16_t*) {}
void nhwc_rows_avx2(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc) { nhwc_rows_generic(j, r0, r1, acc); }
void plane_sums_avx2(const PlaneGeom& g, const int16_t* xp, const int16_t* w, uint32_t* acc) {
  plane_sums(g, xp, w, acc);
}
bool has_avx2() { return false; }
#endif

void plane_sums_generic(const PlaneGeom& g, const int16_t* xp, const int16_t* w, uint32_t* acc) {
  plane_sums(g, xp, w, acc);
}

bool depthwise_accepts(const KernelInit& init) {
  const Tensor* w = init.constant(3);
  if (!w || !q_is_8bit(w->dtype()) || w->rank() != 4 || w->dim(1) != 1) return false;
  if (init.attrs.get_int("group", 1) != w->dim(0)) return false;
  const DType x = init.input_type(0).dtype;
  if (x != DType::kUndefined && !q_is_8bit(x)) return false;
  const bool zp_given = init.node.input_size() > 5 && !init.node.input(5).empty();
  return !zp_given || init.constant(5);
}

class CpuQLinearDepthwiseKernel : public OpKernel {
 public:
  explicit CpuQLinearDepthwiseKernel(const KernelInit& init) : attrs_(NnSpatialAttrs::parse(init)), params_(init) {
    const Tensor& w = *init.constant(3);
    C_ = w.dim(0);
    kernel_ = {w.dim(2), w.dim(3)};
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel_) {
      fail(init.where() + ": kernel_shape does not match W " + w.describe());
    }
    const bool zp_given = init.node.input_size() > 5 && !init.node.input(5).empty();
    std::vector<int32_t> zp;
    q_channel_zero_points(init.where(), zp_given ? init.constant(5) : nullptr, w.dtype(), C_, "W", zp);
    const int64_t T = kernel_[0] * kernel_[1];
    w16_.resize(static_cast<size_t>(C_ * T));
    for (int64_t i = 0; i < C_ * T; ++i) {
      const int32_t v = w.dtype() == DType::kUint8 ? w.data<uint8_t>()[i] : w.data<int8_t>()[i];
      w16_[static_cast<size_t>(i)] = static_cast<int16_t>(v - zp[static_cast<size_t>(i / T)]);
    }
    wt_.resize(w16_.size());
    for (int64_t c = 0; c < C_; ++c) {
      for (int64_t t = 0; t < T; ++t) wt_[static_cast<size_t>(t * C_ + c)] = w16_[static_cast<size_t>(c * T + t)];
    }
    if (has_avx2() && C_ % 16 == 0) {
      wpair_.resize(static_cast<size_t>(interleaved_size(T, C_)));
      interleaved_weights(wt_.data(), T, C_, wpair_.data());
    }
  }

  std::string algorithm() const override {
    return std::string(C_ >= kNhwcMinChannels ? "depthwise-direct-nhwc" : "depthwise-direct") +
           (has_avx2() ? "" : "-generic") + params_.activation().suffix();
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    q_require_8bit(ctx.where(), x, "X");
    if (x.rank() != 4 || x.dim(1) != C_) {
      fail(ctx.where() + ": X " + x.describe() + " does not match W's " + std::to_string(C_) + " channels");
    }
    if (!has_geom_ || x.dim(2) != geom_.in[0] || x.dim(3) != geom_.in[1]) resolve(ctx, x);
    const QConvOutput o = params_.resolve(ctx, C_);
    const int64_t N = x.dim(0), on = g_.OH * g_.OW;
    Tensor& y = ctx.alloc_output(0, o.y_type, {N, C_, g_.OH, g_.OW});
    if (y.numel() == 0) return;
    if (C_ >= kNhwcMinChannels) {
      run_nhwc(ctx, x, o, y);
      return;
    }
    const auto sums = has_avx2() ? plane_sums_avx2 : plane_sums_generic;
    nn_parallel_for(ctx, N * C_, on * g_.KH * g_.KW * 2, [&](int64_t p0, int64_t p1) {
      thread_local std::vector<int16_t> xp;
      thread_local std::vector<uint32_t> acc;
      if (xp.size() < static_cast<size_t>(g_.Hp * g_.Wp)) xp.resize(static_cast<size_t>(g_.Hp * g_.Wp));
      if (acc.size() < static_cast<size_t>(on)) acc.resize(static_cast<size_t>(on));
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t c = p % C_;
        std::fill(xp.begin(), xp.begin() + g_.Hp * g_.Wp, int16_t{0});
        for (int64_t ih = 0; ih < g_.H; ++ih) {
          int16_t* dst = xp.data() + (ih + g_.pt) * g_.Wp + g_.pl;
          const int64_t off = (p * g_.H + ih) * g_.W;
          if (x.dtype() == DType::kUint8) {
            const uint8_t* src = x.data<uint8_t>() + off;
            for (int64_t iw = 0; iw < g_.W; ++iw) dst[iw] = static_cast<int16_t>(src[iw] - o.x_zero_point);
          } else {
            const int8_t* src = x.data<int8_t>() + off;
            for (int64_t iw = 0; iw < g_.W; ++iw) dst[iw] = static_cast<int16_t>(src[iw] - o.x_zero_point);
          }
        }
        sums(g_, xp.data(), w16_.data() + c * g_.KH * g_.KW, acc.data());
        const auto* a = reinterpret_cast<const int32_t*>(acc.data());
        const int32_t b = o.bias ? o.bias[c] : 0;
        if (o.y_type == DType::kUint8) {
          q_requantize_row(a, on, b, o.multiplier[c], o.y_zero_point, o.lo, o.hi, y.data<uint8_t>() + p * on);
        } else {
          q_requantize_row(a, on, b, o.multiplier[c], o.y_zero_point, o.lo, o.hi, y.data<int8_t>() + p * on);
        }
      }
    });
  }

 private:
  // Channels-last: enough channels to fill the vectors, and small maps need no per-plane pass.
  static constexpr int64_t kNhwcMinChannels = 8;

  void run_nhwc(KernelContext& ctx, const Tensor& x, const QConvOutput& o, Tensor& y) const {
    const int64_t N = x.dim(0), C = C_, on = g_.OH * g_.OW, plane = g_.Hp * g_.Wp * C;
    auto* xs = static_cast<int16_t*>(ctx.scratch(static_cast<size_t>(plane) * sizeof(int16_t)));
    const auto rows = has_avx2() ? nhwc_rows_avx2 : nhwc_rows_generic;
    for (int64_t n = 0; n < N; ++n) {
      std::fill(xs, xs + plane, int16_t{0});
      linalg::nchw_to_nhwc_s16(static_cast<const uint8_t*>(x.raw()) + n * C * g_.H * g_.W, x.dtype() == DType::kInt8,
                               o.x_zero_point, C, g_.H, g_.W, xs + (g_.pt * g_.Wp + g_.pl) * C, g_.Wp, C);
      const bool s8 = o.y_type == DType::kInt8;
      RowsJob job{&g_,
                  C,
                  xs,
                  wt_.data(),
                  taps_.data(),
                  wpair_.empty() ? nullptr : wpair_.data(),
                  &o,
                  static_cast<char*>(y.raw()) + n * C * on,
                  s8};
      nn_parallel_for(ctx, g_.OH, g_.OW * C * g_.KH * g_.KW * 2, [&](int64_t r0, int64_t r1) {
        thread_local std::vector<uint32_t> acc;
        if (acc.size() < static_cast<size_t>(2 * g_.OW * C)) acc.resize(static_cast<size_t>(2 * g_.OW * C));
        rows(job, r0, r1, acc.data());
      });
    }
  }

  void resolve(const KernelContext& ctx, const Tensor& x) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, Shape{x.dim(2), x.dim(3)}, kernel_);
    has_geom_ = true;
    g_ = {geom_.in[0],
          geom_.in[1],
          geom_.pad_begin[0] + geom_.in[0] + geom_.pad_end[0],
          geom_.pad_begin[1] + geom_.in[1] + geom_.pad_end[1],
          geom_.out[0],
          geom_.out[1],
          kernel_[0],
          kernel_[1],
          geom_.stride[0],
          geom_.stride[1],
          geom_.dil[0],
          geom_.dil[1],
          geom_.pad_begin[0],
          geom_.pad_begin[1]};
    taps_.resize(static_cast<size_t>(g_.KH * g_.KW));
    for (int64_t kh = 0; kh < g_.KH; ++kh) {
      for (int64_t kw = 0; kw < g_.KW; ++kw) {
        taps_[static_cast<size_t>(kh * g_.KW + kw)] = (kh * g_.dh * g_.Wp + kw * g_.dw) * C_;
      }
    }
  }

  NnSpatialAttrs attrs_;
  QConvOutputParams params_;
  int64_t C_ = 0;
  Shape kernel_;
  std::vector<int16_t> w16_;    // [C][KH * KW]: w - w_zero_point[c]
  std::vector<int16_t> wt_;     // [KH * KW][C]: the same, channels-last
  std::vector<int16_t> wpair_;  // wt_ interleaved by tap pairs for vpmaddwd (AVX2, C % 16 == 0)
  std::vector<int64_t> taps_;   // element offsets of the kernel taps in the channels-last copy
  NnSpatial geom_;
  PlaneGeom g_{};
  bool has_geom_ = false;
};

}  // namespace

void register_cpu_QLinearDepthwiseConv(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.add({domain,
           "QLinearConv",
           domain[0] ? 1 : 10,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           factory_of<CpuQLinearDepthwiseKernel>(),
           "cpu",
           10,
           0,
           depthwise_accepts});
  }
}

}  // namespace edge::rt
