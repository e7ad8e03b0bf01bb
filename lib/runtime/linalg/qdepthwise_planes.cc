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

// The byte plane of run_plane_vnni: outputs in steps of 64 (stride 1) or 32 (stride 2), tap
// quads, each load 64 bytes.
int64_t quads(const Geometry& g) { return (g.KW + 3) / 4; }
int64_t vnni_step(const Geometry& g) { return g.sw == 1 ? 64 : 32; }
int64_t vnni_width(const Geometry& g) {
  const int64_t outputs = (g.OW + vnni_step(g) - 1) / vnni_step(g) * vnni_step(g);
  return (std::max(g.pl + g.W, g.sw * outputs + 4 * quads(g) + 72) + 63) / 64 * 64;
}
int64_t vnni_scratch_bytes(const Geometry& g) { return rows(g) * vnni_width(g) + g.KH * quads(g) * 4 + 64; }

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

bool vnni_supported() { return supported() && __builtin_cpu_supports("avx512vnni"); }

namespace {
// The first n (<= 16; none when n <= 0) of 16 bytes.
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void store(uint8_t* y, int64_t n,
                                                                                      __m128i v) {
  if (n > 0) _mm_mask_storeu_epi8(y, n >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << n) - 1u), v);
}
}  // namespace

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void run_plane_vnni(const Geometry& g,
                                                                                    const PlaneVnni& p,
                                                                                    uint8_t* scratch) {
  const int64_t Wb = vnni_width(g), Hb = rows(g), nq = quads(g);
  uint8_t* buf = scratch;
  // The weights of four horizontally adjacent taps as int32 quads: [KH][quads], missing taps 0.
  auto* wq = reinterpret_cast<int32_t*>(buf + Hb * Wb);  // Wb is a multiple of 64: aligned
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t k = 0; k < nq; ++k) {
      uint32_t v = 0;
      for (int64_t t = 0; t < 4; ++t) {
        const int64_t kw = 4 * k + t;
        if (kw < g.KW) v |= static_cast<uint32_t>(static_cast<uint8_t>(p.w[kh * g.KW + kw])) << (8 * t);
      }
      wq[kh * nq + k] = static_cast<int32_t>(v);
    }
  }
  // The bytes inside a border of zx (whose products the folded bias takes back).
  const auto zx = static_cast<uint8_t>(p.zx);
  std::fill(buf, buf + g.pt * Wb, zx);
  std::fill(buf + (g.pt + g.H) * Wb, buf + Hb * Wb, zx);
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(p.flip));
  for (int64_t ih = 0; ih < g.H; ++ih) {
    uint8_t* row = buf + (g.pt + ih) * Wb;
    std::fill(row, row + g.pl, zx);
    std::fill(row + g.pl + g.W, row + Wb, zx);
    for (int64_t iw = 0; iw < g.W; iw += 64) {
      const __mmask64 m = g.W - iw >= 64 ? ~__mmask64{0} : (__mmask64{1} << (g.W - iw)) - 1;
      _mm512_mask_storeu_epi8(row + g.pl + iw, m,
                              _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p.x + ih * g.W + iw), flip));
    }
  }
  const Requant q{_mm512_set1_ps(static_cast<float>(p.lo - p.zero_point - 1)),
                  _mm512_set1_ps(static_cast<float>(p.hi - p.zero_point + 1)),
                  _mm512_set1_epi32(p.zero_point),
                  _mm512_set1_epi32(p.lo),
                  _mm512_set1_epi32(p.hi),
                  _mm512_set1_epi32(p.bias),
                  _mm512_set1_ps(p.multiplier)};
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const uint8_t* top = buf + oh * g.sh * Wb;
    uint8_t* y = p.y + oh * g.OW;
    if (g.sw == 1) {
      for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 64) {  // acc[r], lane j: output ow0 + 4 j + r
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const uint8_t* r = top + kh * g.dh * Wb + ow0;
          for (int64_t k = 0; k < nq; ++k, r += 4) {
            const __m512i w = _mm512_set1_epi32(wq[kh * nq + k]);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(r), w);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(r + 1), w);
            a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512(r + 2), w);
            a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512(r + 3), w);
          }
        }
        const __m128i r0 = requantize(q, a0), r1 = requantize(q, a1), r2 = requantize(q, a2), r3 = requantize(q, a3);
        const __m128i lo01 = _mm_unpacklo_epi8(r0, r1), hi01 = _mm_unpackhi_epi8(r0, r1);
        const __m128i lo23 = _mm_unpacklo_epi8(r2, r3), hi23 = _mm_unpackhi_epi8(r2, r3);
        const int64_t n = g.OW - ow0;
        store(y + ow0, n, _mm_unpacklo_epi16(lo01, lo23));
        store(y + ow0 + 16, n - 16, _mm_unpackhi_epi16(lo01, lo23));
        store(y + ow0 + 32, n - 32, _mm_unpacklo_epi16(hi01, hi23));
        store(y + ow0 + 48, n - 48, _mm_unpackhi_epi16(hi01, hi23));
      }
    } else {
      for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 32) {  // acc[e], lane j: output ow0 + 2 j + e
        __m512i a0 = _mm512_setzero_si512(), a1 = a0;
        for (int64_t kh = 0; kh < g.KH; ++kh) {
          const uint8_t* r = top + kh * g.dh * Wb + 2 * ow0;
          for (int64_t k = 0; k < nq; ++k, r += 4) {
            const __m512i w = _mm512_set1_epi32(wq[kh * nq + k]);
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(r), w);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(r + 2), w);
          }
        }
        const __m128i r0 = requantize(q, a0), r1 = requantize(q, a1);
        const int64_t n = g.OW - ow0;
        store(y + ow0, n, _mm_unpacklo_epi8(r0, r1));
        store(y + ow0 + 16, n - 16, _mm_unpackhi_epi8(r0, r1));
      }
    }
  }
}

#pragma GCC diagnostic pop

#else
bool supported() { return false; }
bool vnni_supported() { return false; }
void run_plane(const Geometry&, const Plane&, int16_t*) {}  // not reached: callers check supported()
void run_plane_vnni(const Geometry&, const PlaneVnni&, uint8_t*) {}
#endif

}  // namespace edge::rt::linalg::qdwp
