// AVX-512 rows of the 8-bit depthwise convolution (see qdepthwise_avx512.h).
#include "runtime/linalg/qdepthwise_avx512.h"

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "runtime/linalg/transpose8x8.h"
#define EDGE_QDW512_X86 1
#endif

namespace edge::rt::linalg::qdw512 {

namespace {
bool g_forced_off = false;
}  // namespace

void force_off(bool on) { g_forced_off = on; }
bool forced_off() { return g_forced_off; }

PackedWeights::PackedWeights(const int16_t* wt, int64_t T, int64_t C) : T_(T), C_(C) {
  w_.assign(static_cast<size_t>(blocks() * pairs() * 64), 0);
  for (int64_t b = 0; b < blocks(); ++b) {
    for (int64_t tp = 0; tp < pairs(); ++tp) {
      int16_t* dst = w_.data() + (b * pairs() + tp) * 64;
      for (int i = 0; i < 32; ++i) {
        const int64_t ch = b * 32 + channel_of_lane(i);
        if (ch >= C) continue;
        dst[2 * i] = wt[2 * tp * C + ch];
        if (2 * tp + 1 < T) dst[2 * i + 1] = wt[(2 * tp + 1) * C + ch];
      }
    }
  }
}

void lane_order(const PackedWeights& w, const int32_t* bias, const float* multiplier, int32_t* lane_bias,
                float* lane_mult) {
  const int64_t C = w.channels();
  for (int64_t b = 0; b < w.blocks(); ++b) {
    for (int i = 0; i < 32; ++i) {
      const int64_t ch = b * 32 + PackedWeights::channel_of_lane(i);
      lane_bias[b * 32 + i] = ch < C && bias ? bias[ch] : 0;
      lane_mult[b * 32 + i] = ch < C ? multiplier[ch] : 1.f;
    }
  }
}

#ifdef EDGE_QDW512_X86
// GCC 12 reports the AVX-512 intrinsics' own _mm512_undefined operands as (maybe-)uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

constexpr int kTileP = 8;

struct Requant {
  __m512 vlo, vhi;       // the clamp before rounding: lo - zp - 1, hi - zp + 1
  __m512i zp, ilo, ihi;  // zero point and output range
};

// 16 int32 sums to bytes as q_requantize_row: v = float(acc + bias) * mult, clamped, rounded half
// to even, plus the zero point, clamped to the output range.
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline __m128i requantize(const Requant& q,
                                                                                              __m512i acc, __m512i bias,
                                                                                              __m512 mult) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc, bias)), mult);
  v = _mm512_min_ps(_mm512_max_ps(v, q.vlo), q.vhi);
  __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, q.zp), q.ilo), q.ihi);
  return _mm512_cvtepi32_epi8(r);
}

// One tap pair's products for the 32 channels at xa and xb (the pair's two taps of a position).
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void add_pair(const int16_t* xa,
                                                                                         const int16_t* xb, __mmask32 m,
                                                                                         __m512i wlo, __m512i whi,
                                                                                         __m512i& lo, __m512i& hi) {
  const __m512i a = _mm512_maskz_loadu_epi16(m, xa), b = _mm512_maskz_loadu_epi16(m, xb);
  lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(a, b), wlo));
  hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(a, b), whi));
}

// Positions [ow0, ow0 + np) of output row oh (np <= 8), channels [32 b, 32 b + 32).
__attribute__((target("avx512f,avx512bw,avx512vl"))) void tile(const RowsArgs& a, int64_t oh, int64_t ow0, int np,
                                                               int64_t b) {
  const PackedWeights& w = *a.w;
  const int64_t C = w.channels(), c0 = b * 32, T = w.taps();
  const __mmask32 m = c0 + 32 <= C ? ~__mmask32{0} : static_cast<__mmask32>((1u << (C - c0)) - 1u);
  alignas(16) uint8_t res[kTileP][32];
  const Requant q{_mm512_set1_ps(static_cast<float>(a.lo - a.zero_point - 1)),
                  _mm512_set1_ps(static_cast<float>(a.hi - a.zero_point + 1)), _mm512_set1_epi32(a.zero_point),
                  _mm512_set1_epi32(a.lo), _mm512_set1_epi32(a.hi)};
  const __m512i bias_lo = _mm512_loadu_si512(a.lane_bias + c0), bias_hi = _mm512_loadu_si512(a.lane_bias + c0 + 16);
  const __m512 mult_lo = _mm512_loadu_ps(a.lane_mult + c0), mult_hi = _mm512_loadu_ps(a.lane_mult + c0 + 16);
  const int16_t* wb = w.block(b);
  const int64_t pairs = w.pairs();
  // Four positions at a time, all their taps: eight sums in registers, each pair's weights loaded
  // once for the four.
  for (int p0 = 0; p0 < np; p0 += 4) {
    const int16_t* x[4];
    for (int p = 0; p < 4; ++p) x[p] = a.xs + (oh * a.sh * a.Wp + (ow0 + std::min(p0 + p, np - 1)) * a.sw) * C + c0;
    __m512i lo0 = _mm512_setzero_si512(), lo1 = lo0, lo2 = lo0, lo3 = lo0, hi0 = lo0, hi1 = lo0, hi2 = lo0, hi3 = lo0;
    for (int64_t tp = 0; tp < pairs; ++tp) {
      const int64_t ta = a.tap[2 * tp], tb = a.tap[2 * tp + 1 < T ? 2 * tp + 1 : 2 * tp];  // odd T: zero weights
      const __m512i wlo = _mm512_loadu_si512(wb + tp * 64), whi = _mm512_loadu_si512(wb + tp * 64 + 32);
      add_pair(x[0] + ta, x[0] + tb, m, wlo, whi, lo0, hi0);
      add_pair(x[1] + ta, x[1] + tb, m, wlo, whi, lo1, hi1);
      add_pair(x[2] + ta, x[2] + tb, m, wlo, whi, lo2, hi2);
      add_pair(x[3] + ta, x[3] + tb, m, wlo, whi, lo3, hi3);
    }
    const __m512i los[4] = {lo0, lo1, lo2, lo3}, his[4] = {hi0, hi1, hi2, hi3};
    for (int p = 0; p < 4; ++p) {  // a tail's extra positions repeat the last one; never stored
      _mm_store_si128(reinterpret_cast<__m128i*>(&res[p0 + p][0]), requantize(q, los[p], bias_lo, mult_lo));
      _mm_store_si128(reinterpret_cast<__m128i*>(&res[p0 + p][16]), requantize(q, his[p], bias_hi, mult_hi));
    }
  }
  uint8_t* y = a.y + oh * a.OW + ow0;
  for (int p = (np + 3) / 4 * 4; p < kTileP; ++p) {  // positions no group computed: transposed, never stored
    _mm_store_si128(reinterpret_cast<__m128i*>(&res[p][0]), _mm_setzero_si128());
    _mm_store_si128(reinterpret_cast<__m128i*>(&res[p][16]), _mm_setzero_si128());
  }
  const __mmask16 keep = static_cast<__mmask16>((1u << np) - 1u);
  for (int g = 0; g < 4; ++g) {  // 8 lanes x 8 positions at a time: one 8-byte store per channel
    __m128i r[8], col[8];
    for (int p = 0; p < 8; ++p) r[p] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&res[p][g * 8]));
    transpose8x8_u8(r, col);
    for (int j = 0; j < 8; ++j) {
      const int64_t ch = c0 + PackedWeights::channel_of_lane(g * 8 + j);
      if (ch >= C) continue;
      if (np == kTileP) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(y + ch * a.on), col[j]);
      } else {
        _mm_mask_storeu_epi8(y + ch * a.on, keep, col[j]);
      }
    }
  }
}

}  // namespace

#pragma GCC diagnostic pop

bool supported() {
  static const bool v =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return v;
}

void run_rows(const RowsArgs& a, int64_t r0, int64_t r1) {
  for (int64_t oh = r0; oh < r1; ++oh) {
    for (int64_t b = 0; b < a.w->blocks(); ++b) {
      for (int64_t ow0 = 0; ow0 < a.OW; ow0 += kTileP) {
        tile(a, oh, ow0, static_cast<int>(std::min<int64_t>(kTileP, a.OW - ow0)), b);
      }
    }
  }
}

#else
bool supported() { return false; }
void run_rows(const RowsArgs&, int64_t, int64_t) {}  // not reached: callers check supported()
#endif

}  // namespace edge::rt::linalg::qdw512
