// The cpu depthwise QLinearConv kernel's loops (see qdepthwise_rows.h).
#include "runtime/kernels/cpu/qdepthwise_rows.h"

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt::qdw {
namespace {
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

}  // namespace

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
__attribute__((target("avx2"))) static inline void position_sums_madd(const RowsJob& j, int64_t T, const int16_t* x,
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

}  // namespace edge::rt::qdw
