// The AVX-512 VNNI tap GEMM (see qtap_gemm.h).
#include "runtime/linalg/qtap_gemm.h"

#include <algorithm>
#include <cstring>

#include "runtime/linalg/transpose8x8.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EDGE_QTAP_X86 1
#endif

namespace edge::rt::linalg {

namespace {

constexpr int kTileP = 8;  // positions per tile (broadcast operands); 8 x 2
                           // accumulators of 16 lanes

#ifdef EDGE_QTAP_X86
// GCC 12 reports the AVX-512 intrinsics' own _mm512_undefined operands as
// maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// One tile: positions [p0, p0 + np) (np <= kTileP) x channel blocks [b0, b0 +
// NB).
template <int NB>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tile(const PackedTapWeights& w, const uint8_t* x,
                                                                 const int64_t* pos, int64_t p0, int np,
                                                                 const int64_t* tap, int64_t b0,
                                                                 const QTapOutput& out) {
  __m512i acc[kTileP][NB];
  for (auto& r : acc) {
    for (auto& v : r) v = _mm512_setzero_si512();
  }
  const uint8_t* base[kTileP];
  for (int p = 0; p < kTileP; ++p) base[p] = x + pos[p0 + std::min(p, np - 1)];  // tail: repeats, not stored
  const int64_t T = w.taps(), Cq = w.channel_quads();
  const int8_t* wb[NB];
  for (int b = 0; b < NB; ++b) wb[b] = w.block(b0 + b);
  constexpr int64_t kQuadBytes = PackedTapWeights::kBlock * 4;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t to = tap[t];
    for (int64_t q = 0; q < Cq; ++q) {
      __m512i wv[NB];
      for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_si512(wb[b] + (t * Cq + q) * kQuadBytes);
      for (int p = 0; p < kTileP; ++p) {
        int32_t quad;
        std::memcpy(&quad, base[p] + to + 4 * q, 4);
        const __m512i xv = _mm512_set1_epi32(quad);
        for (int b = 0; b < NB; ++b) acc[p][b] = _mm512_dpbusd_epi32(acc[p][b], xv, wv[b]);
      }
    }
  }
  if (out.acc) {
    for (int b = 0; b < NB; ++b) {
      const int64_t m0 = (b0 + b) * 16, mc = std::min<int64_t>(16, w.rows() - m0);
      if (mc <= 0) break;
      const __m512i bias = _mm512_loadu_si512(out.bias + m0);
      const __mmask16 mask = static_cast<__mmask16>((1u << mc) - 1u);
      for (int p = 0; p < np; ++p) {
        _mm512_mask_storeu_epi32(out.acc + (p0 + p) * out.acc_stride + m0, mask, _mm512_add_epi32(acc[p][b], bias));
      }
    }
    return;
  }
  // Requantize as q_requantize_row: v = float(acc + bias) * mult, clamped to
  // [lo - zp - 1, hi - zp + 1], rounded half to even, plus zp, clamped to [lo,
  // hi].
  alignas(64) uint8_t res[kTileP][NB * 16];
  const __m512 vlo = _mm512_set1_ps(static_cast<float>(out.lo - out.zero_point - 1));
  const __m512 vhi = _mm512_set1_ps(static_cast<float>(out.hi - out.zero_point + 1));
  const __m512i zp = _mm512_set1_epi32(out.zero_point), ilo = _mm512_set1_epi32(out.lo),
                ihi = _mm512_set1_epi32(out.hi);
  for (int b = 0; b < NB; ++b) {
    const __m512i bias = _mm512_loadu_si512(out.bias + (b0 + b) * 16);
    const __m512 mult = _mm512_loadu_ps(out.multiplier + (b0 + b) * 16);
    for (int p = 0; p < np; ++p) {
      __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[p][b], bias)), mult);
      v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
      __m512i r = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, zp), ilo), ihi);
      _mm_store_si128(reinterpret_cast<__m128i*>(&res[p][b * 16]), _mm512_cvtepi32_epi8(r));
    }
  }
  const int64_t mc = std::min<int64_t>(NB * 16, w.rows() - b0 * 16);
  if (out.p_stride == 1 && np == kTileP) {
    // 8 positions x 8 channels at a time transposed in registers: one 8-byte store per channel.
    for (int64_t g = 0; g * 8 < mc; ++g) {
      __m128i r[8];
      for (int p = 0; p < 8; ++p) r[p] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&res[p][g * 8]));
      __m128i col[8];  // col[c]: channel c, positions 0..7
      transpose8x8_u8(r, col);
      const int64_t cn = std::min<int64_t>(8, mc - g * 8);
      for (int64_t c = 0; c < cn; ++c) {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out.y + (b0 * 16 + g * 8 + c) * out.m_stride + p0), col[c]);
      }
    }
    return;
  }
  for (int64_t m = 0; m < mc; ++m) {
    uint8_t* y = out.y + (b0 * 16 + m) * out.m_stride + p0 * out.p_stride;
    for (int p = 0; p < np; ++p) y[p * out.p_stride] = res[p][m];
  }
}

#pragma GCC diagnostic pop

bool has_vnni() {
  static const bool v =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
  return v;
}

void run_tiles(const PackedTapWeights& w, const uint8_t* x, const int64_t* pos, int64_t P, const int64_t* tap,
               const QTapOutput& out, int64_t t0, int64_t t1) {
  const int64_t pairs = (w.blocks() + 1) / 2;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t pt = t / pairs, b0 = (t % pairs) * 2;
    const int64_t p0 = pt * kTileP;
    const int np = static_cast<int>(std::min<int64_t>(kTileP, P - p0));
    if (b0 + 1 < w.blocks()) {
      tile<2>(w, x, pos, p0, np, tap, b0, out);
    } else {
      tile<1>(w, x, pos, p0, np, tap, b0, out);
    }
  }
}

#else
bool has_vnni() { return false; }
void run_tiles(const PackedTapWeights&, const uint8_t*, const int64_t*, int64_t, const int64_t*, const QTapOutput&,
               int64_t, int64_t) {}
#endif

}  // namespace

void qtap_gemm(const PackedTapWeights& w, const uint8_t* x, const int64_t* pos, int64_t P, const int64_t* tap,
               const QTapOutput& out, ThreadPool* pool) {
  if (P <= 0 || w.rows() <= 0) return;
  const int64_t tiles = (P + kTileP - 1) / kTileP * ((w.blocks() + 1) / 2);
  const double macs = static_cast<double>(P) * static_cast<double>(w.rows()) * static_cast<double>(w.taps()) *
                      static_cast<double>(w.channel_quads() * 4);
  auto run = [&](int64_t t0, int64_t t1) { run_tiles(w, x, pos, P, tap, out, t0, t1); };
  if (pool && pool->size() > 1 && tiles > 1 && macs >= 1.0e6) {
    pool->parallel_for(tiles, run);
  } else {
    run(0, tiles);
  }
}

bool qtap_gemm_supported() { return has_vnni(); }

}  // namespace edge::rt::linalg
