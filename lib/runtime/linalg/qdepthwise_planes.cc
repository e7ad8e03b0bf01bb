// AVX-512 planes of the 8-bit depthwise convolution (see qdepthwise_planes.h).
#include "runtime/linalg/qdepthwise_planes.h"

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EDGE_QDWP_X86 1
#endif

namespace edge::rt::linalg::qdwp {

namespace {

bool g_forced_off = false;

// Outputs per step: 32 (16 even and 16 odd) with stride 1, 16 with stride 2.
int64_t step(const Geometry& g) { return g.sw == 1 ? 32 : 16; }

// The widened plane: rows 0..Hb-1 (input row ih at pt + ih), each Wb values (input column iw at
// pl + iw), zeros around; every load of the steps stays inside.
int64_t rows(const Geometry& g) { return std::max((g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1, g.pt + g.H); }
int64_t width(const Geometry& g) {
  const int64_t outputs = (g.OW + step(g) - 1) / step(g) * step(g);
  return (std::max(g.pl + g.W, g.sw * outputs + g.KW + 34) + 31) / 32 * 32;
}

}  // namespace

void force_off(bool on) { g_forced_off = on; }
bool forced_off() { return g_forced_off; }

bool accepts(int64_t sw, int64_t dw) { return (sw == 1 || sw == 2) && dw == 1; }

int64_t scratch_values(const Geometry& g) { return rows(g) * width(g) + (g.KH * ((g.KW + 1) / 2)) * 2 + 32; }

#ifdef EDGE_QDWP_X86
// GCC 12 reports the AVX-512 intrinsics' own _mm512_undefined operands as (maybe-)uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

struct Requant {
  __m512 vlo, vhi;       // the clamp before rounding: lo - zp - 1, hi - zp + 1
  __m512i zp, ilo, ihi;  // zero point and output range
  __m512i bias;
  __m512 mult;
};

// 16 sums to bytes as q_requantize_row: float(acc + bias) * mult, clamped, rounded half to even,
// plus the zero point, clamped to the output range.
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline __m128i requantize(const Requant& q,
                                                                                              __m512i acc) {
  __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc, q.bias)), q.mult);
  v = _mm512_min_ps(_mm512_max_ps(v, q.vlo), q.vhi);
  __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, q.zp), q.ilo), q.ihi);
  return _mm512_cvtepi32_epi8(r);
}

// The (x - zx) plane inside its zero border.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void widen(const Geometry& g, const Plane& p, int16_t* buf) {
  const int64_t Wb = width(g), Hb = rows(g);
  std::fill(buf, buf + g.pt * Wb, int16_t{0});
  std::fill(buf + (g.pt + g.H) * Wb, buf + Hb * Wb, int16_t{0});
  const __m512i zx = _mm512_set1_epi16(static_cast<int16_t>(p.zx));
  for (int64_t ih = 0; ih < g.H; ++ih) {
    int16_t* row = buf + (g.pt + ih) * Wb;
    std::fill(row, row + g.pl, int16_t{0});
    std::fill(row + g.pl + g.W, row + Wb, int16_t{0});
    const uint8_t* src = p.x + ih * g.W;
    for (int64_t iw = 0; iw < g.W; iw += 32) {
      const __mmask32 m = g.W - iw >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << (g.W - iw)) - 1u);
      const __m256i b = _mm256_maskz_loadu_epi8(m, src + iw);
      const __m512i v = p.x_signed ? _mm512_cvtepi8_epi16(b) : _mm512_cvtepu8_epi16(b);
      _mm512_mask_storeu_epi16(row + g.pl + iw, m, _mm512_sub_epi16(v, zx));
    }
  }
}

}  // namespace

#pragma GCC diagnostic pop
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

bool supported() {
  static const bool v =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return v;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void run_plane(const Geometry& g, const Plane& p,
                                                                    int16_t* scratch) {
  const int64_t Wb = width(g), pairs = (g.KW + 1) / 2;
  int16_t* buf = scratch;
  // The weights of horizontally adjacent taps as int32 pairs (low half first): [KH][pairs].
  auto* wp = reinterpret_cast<int32_t*>(buf + rows(g) * Wb);  // Wb is a multiple of 32: aligned
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t k = 0; k < pairs; ++k) {
      const int64_t kw = 2 * k;
      const uint16_t a = static_cast<uint16_t>(p.w[kh * g.KW + kw]);
      const uint16_t b = kw + 1 < g.KW ? static_cast<uint16_t>(p.w[kh * g.KW + kw + 1]) : uint16_t{0};
      wp[kh * pairs + k] = static_cast<int32_t>(static_cast<uint32_t>(a) | (static_cast<uint32_t>(b) << 16));
    }
  }
  widen(g, p, buf);
  const Requant q{_mm512_set1_ps(static_cast<float>(p.lo - p.zero_point - 1)),
                  _mm512_set1_ps(static_cast<float>(p.hi - p.zero_point + 1)),
                  _mm512_set1_epi32(p.zero_point),
                  _mm512_set1_epi32(p.lo),
                  _mm512_set1_epi32(p.hi),
                  _mm512_set1_epi32(p.bias),
                  _mm512_set1_ps(p.multiplier)};
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int16_t* top = buf + oh * g.sh * Wb;
    uint8_t* y = p.y + oh * g.OW;
    if (g.sw == 1) {
      for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 32) {
        __m512i even = _mm512_setzero_si512(), odd = even;
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const int16_t* r = top + kh * g.dh * Wb + ow0;
          for (int64_t k = 0; k < pairs; ++k) {
            const __m512i w = _mm512_set1_epi32(wp[kh * pairs + k]);
            even = _mm512_add_epi32(even, _mm512_madd_epi16(_mm512_loadu_si512(r + 2 * k), w));
            odd = _mm512_add_epi32(odd, _mm512_madd_epi16(_mm512_loadu_si512(r + 2 * k + 1), w));
          }
        }
        const __m128i e = requantize(q, even), o = requantize(q, odd);
        const __m256i both = _mm256_set_m128i(_mm_unpackhi_epi8(e, o), _mm_unpacklo_epi8(e, o));
        const int64_t n = std::min<int64_t>(32, g.OW - ow0);
        _mm256_mask_storeu_epi8(y + ow0, n == 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << n) - 1u), both);
      }
    } else {
      for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 16) {
        __m512i acc = _mm512_setzero_si512();
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const int16_t* r = top + kh * g.dh * Wb + 2 * ow0;
          for (int64_t k = 0; k < pairs; ++k) {
            acc = _mm512_add_epi32(
                acc, _mm512_madd_epi16(_mm512_loadu_si512(r + 2 * k), _mm512_set1_epi32(wp[kh * pairs + k])));
          }
        }
        const int64_t n = std::min<int64_t>(16, g.OW - ow0);
        _mm_mask_storeu_epi8(y + ow0, n == 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u),
                             requantize(q, acc));
      }
    }
  }
}

#pragma GCC diagnostic pop

#else
bool supported() { return false; }
void run_plane(const Geometry&, const Plane&, int16_t*) {}  // not reached: callers check supported()
#endif

}  // namespace edge::rt::linalg::qdwp
