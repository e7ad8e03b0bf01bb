// The AVX-512 VNNI 1x1 quantized convolution (see qpointwise_vnni.h).
#include "runtime/linalg/qpointwise_vnni.h"

#include <algorithm>

#include "runtime/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EDGE_QPW_X86 1
#endif

namespace edge::rt::linalg::qpw {

namespace {
constexpr int64_t kTilePositions = 64;  // four vectors of 16 positions
constexpr int64_t kChunkTiles = 4;      // position tiles per task
}  // namespace

void interleave(const uint8_t* x, int64_t K, int64_t P, uint8_t flip, uint8_t* xq) {
  const int64_t Kq = (K + 3) / 4;
  int64_t p16 = 0;
#if defined(__SSE2__)
  p16 = P / 16 * 16;
  const __m128i f = _mm_set1_epi8(static_cast<char>(flip)), zero = _mm_setzero_si128();
  for (int64_t q = 0; q < Kq; ++q) {
    const uint8_t* rows[4];
    for (int j = 0; j < 4; ++j) rows[j] = 4 * q + j < K ? x + (4 * q + j) * P : nullptr;
    uint8_t* dst = xq + q * P * 4;
    for (int64_t p = 0; p < p16; p += 16) {
      __m128i r[4];
      for (int j = 0; j < 4; ++j) {
        r[j] = rows[j] ? _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + p)), f) : zero;
      }
      // Bytes of channels (0, 1) and (2, 3) paired, then the pairs paired: four positions' quads per register.
      const __m128i a = _mm_unpacklo_epi8(r[0], r[1]), b = _mm_unpackhi_epi8(r[0], r[1]);
      const __m128i c = _mm_unpacklo_epi8(r[2], r[3]), d = _mm_unpackhi_epi8(r[2], r[3]);
      auto* out = reinterpret_cast<__m128i*>(dst + p * 4);
      _mm_storeu_si128(out, _mm_unpacklo_epi16(a, c));
      _mm_storeu_si128(out + 1, _mm_unpackhi_epi16(a, c));
      _mm_storeu_si128(out + 2, _mm_unpacklo_epi16(b, d));
      _mm_storeu_si128(out + 3, _mm_unpackhi_epi16(b, d));
    }
  }
#endif
  for (int64_t q = 0; q < Kq; ++q) {  // the positions past the blocks of 16
    for (int64_t p = p16; p < P; ++p) {
      for (int64_t j = 0; j < 4; ++j) {
        const int64_t k = 4 * q + j;
        xq[(q * P + p) * 4 + j] = k < K ? static_cast<uint8_t>(x[k * P + p] ^ flip) : 0;
      }
    }
  }
}

#ifdef EDGE_QPW_X86
// GCC 12 reports the AVX-512 intrinsics' own _mm512_undefined operands as (maybe-)uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

// Channels [m0, m0 + mr) x positions [p0, p0 + 16 * NV) (the last vector masked by `last`).
template <int NV>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void tile(const int8_t* panel, int64_t Kq,
                                                                          const uint8_t* xq, int64_t P, int64_t p0,
                                                                          __mmask16 last, int64_t m0, int mr,
                                                                          const Output& o) {
  __m512i acc[kRows][NV];
  for (int i = 0; i < kRows; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
  const uint8_t* xk = xq + p0 * 4;
  for (int64_t q = 0; q < Kq; ++q, xk += P * 4, panel += kRows * 4) {
    __m512i xv[NV];
    for (int v = 0; v < NV; ++v) {
      xv[v] = v == NV - 1 ? _mm512_maskz_loadu_epi32(last, xk + 64 * v) : _mm512_loadu_si512(xk + 64 * v);
    }
    for (int i = 0; i < kRows; ++i) {
      int32_t quad;
      __builtin_memcpy(&quad, panel + 4 * i, 4);
      const __m512i wv = _mm512_set1_epi32(quad);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], xv[v], wv);
    }
  }
  // Requantize as q_requantize_row: v = float(acc + bias) * mult, clamped to [lo - zp - 1,
  // hi - zp + 1], rounded half to even, plus zp, clamped to [lo, hi]. Every row computed, only
  // real ones stored (masks, not branches: the sums stay in registers).
  const __m512 vlo = _mm512_set1_ps(static_cast<float>(o.lo - o.zero_point - 1));
  const __m512 vhi = _mm512_set1_ps(static_cast<float>(o.hi - o.zero_point + 1));
  const __m512i zp = _mm512_set1_epi32(o.zero_point), ilo = _mm512_set1_epi32(o.lo), ihi = _mm512_set1_epi32(o.hi);
#pragma GCC unroll 6
  for (int i = 0; i < kRows; ++i) {
    const bool real = i < mr;
    const __m512i bias = _mm512_set1_epi32(real ? o.bias[m0 + i] : 0);
    const __m512 mult = _mm512_set1_ps(real ? o.multiplier[m0 + i] : 1.f);
    uint8_t* y = o.y + (m0 + i) * P + p0;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __mmask16 keep = !real ? 0 : v == NV - 1 ? last : static_cast<__mmask16>(0xFFFF);
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[i][v], bias)), mult);
      f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
      __m512i r = _mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, zp), ilo), ihi);
      _mm_mask_storeu_epi8(y + 16 * v, keep, _mm512_cvtepi32_epi8(r));
    }
  }
}

}  // namespace

#pragma GCC diagnostic pop

bool supported() {
  static const bool v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return v;
}

void run(const Packed& w, const uint8_t* xq, int64_t P, const Output& out, ThreadPool* pool) {
  const int64_t M = w.rows(), m_tiles = (M + kRows - 1) / kRows, n_tiles = (P + kTilePositions - 1) / kTilePositions;
  if (M <= 0 || P <= 0) return;
  const int64_t chunks = (n_tiles + kChunkTiles - 1) / kChunkTiles;
  auto body = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t mt = t / chunks, ch = t % chunks, m0 = mt * kRows;
      const int mr = static_cast<int>(std::min<int64_t>(kRows, M - m0));
      const int64_t s1 = std::min(n_tiles, (ch + 1) * kChunkTiles);
      for (int64_t s = ch * kChunkTiles; s < s1; ++s) {
        const int64_t p0 = s * kTilePositions, n = std::min(kTilePositions, P - p0), nv = (n + 15) / 16;
        const __mmask16 last = static_cast<__mmask16>((1u << (n - 16 * (nv - 1))) - 1u);
        using Tile =
            void (*)(const int8_t*, int64_t, const uint8_t*, int64_t, int64_t, __mmask16, int64_t, int, const Output&);
        static constexpr Tile kTiles[4] = {tile<1>, tile<2>, tile<3>, tile<4>};
        kTiles[nv - 1](w.panel(mt), w.channel_quads(), xq, P, p0, last, m0, mr, out);
      }
    }
  };
  const double macs = static_cast<double>(M) * static_cast<double>(w.channel_quads() * 4) * static_cast<double>(P);
  parallel_for_if(pool, macs, m_tiles * chunks, body);
}

#else
bool supported() { return false; }
void run(const Packed&, const uint8_t*, int64_t, const Output&, ThreadPool*) {}  // callers check supported()
#endif

}  // namespace edge::rt::linalg::qpw
