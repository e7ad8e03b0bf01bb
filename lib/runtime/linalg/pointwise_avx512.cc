// The AVX-512 1x1 convolution (see pointwise_avx512.h).
#include "runtime/linalg/pointwise_avx512.h"

#include <algorithm>

#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include "runtime/linalg/avx512_util.h"
#define EDGE_PW512_X86 1
#endif

namespace edge::rt::linalg::pw512 {

namespace {
constexpr int64_t kTilePositions = 64;  // four vectors
constexpr int64_t kChunkTiles = 4;      // position tiles per task
}  // namespace

Packed pack(int64_t M, int64_t K, const float* w) {
  Packed p;
  p.M = M;
  p.K = K;
  const int64_t tiles = (M + kRows - 1) / kRows;
  p.panels.assign(static_cast<size_t>(tiles * K * kRows), 0.f);
  for (int64_t m = 0; m < M; ++m) {
    float* panel = p.panels.data() + (m / kRows) * K * kRows + m % kRows;
    for (int64_t k = 0; k < K; ++k) panel[k * kRows] = w[m * K + k];
  }
  return p;
}

#ifdef EDGE_PW512_X86
// GCC 12 reports the AVX-512 intrinsics' own _mm512_undefined operands as (maybe-)uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace {

struct Out {
  const float* bias;
  const float* z;
  float* y;
  int64_t P;
  float lo, hi;
};

// Channels [m0, m0 + mr) x positions [p0, p0 + 16 * NV) (the last vector masked by `last`).
template <int NV, bool HasZ>
__attribute__((target("avx512f"))) void tile(const float* panel, int64_t K, const float* x, int64_t p0, __mmask16 last,
                                             int64_t m0, int mr, const Out& o) {
  __m512 acc[kRows][NV];
  for (int i = 0; i < kRows; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  const float* xk = x + p0;
  const int64_t P = o.P;
  for (int64_t k = 0; k < K; ++k, xk += P, panel += kRows) {
    __m512 xv[NV];
    for (int v = 0; v < NV; ++v) {
      xv[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(last, xk + 16 * v) : _mm512_loadu_ps(xk + 16 * v);
    }
    for (int i = 0; i < kRows; ++i) {
      const __m512 wv = _mm512_set1_ps(panel[i]);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(wv, xv[v], acc[i][v]);
    }
  }
  const __m512 vlo = _mm512_set1_ps(o.lo), vhi = _mm512_set1_ps(o.hi);
  // Every row computed, only real ones stored (masks, not branches: the sums stay in registers).
#pragma GCC unroll 6
  for (int i = 0; i < kRows; ++i) {
    const int64_t row = (m0 + i) * o.P + p0;
    // + 0 without a bias, as the other paths add it (so -0 becomes +0 the same way).
    const __m512 b = i < mr && o.bias ? _mm512_set1_ps(o.bias[m0 + i]) : _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const __mmask16 keep = i >= mr ? 0 : v == NV - 1 ? last : static_cast<__mmask16>(0xFFFF);
      __m512 r = _mm512_add_ps(acc[i][v], b);
      if (HasZ) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(keep, o.z + row + 16 * v));
      r = _mm512_max_ps(vlo, _mm512_min_ps(vhi, r));  // c16::write_channels_first's clamp
      _mm512_mask_storeu_ps(o.y + row + 16 * v, keep, r);
    }
  }
}

}  // namespace

#pragma GCC diagnostic pop

bool available() { return c16::available(); }

void run(const Packed& p, const float* x, int64_t P, const float* bias, const float* z, float* y, ThreadPool* pool,
         float lo, float hi) {
  const int64_t m_tiles = (p.M + kRows - 1) / kRows, n_tiles = (P + kTilePositions - 1) / kTilePositions;
  const int64_t chunks = (n_tiles + kChunkTiles - 1) / kChunkTiles;
  const Out o{bias, z, y, P, lo, hi};
  auto body = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t mt = t / chunks, ch = t % chunks, m0 = mt * kRows;
      const int mr = static_cast<int>(std::min<int64_t>(kRows, p.M - m0));
      const float* panel = p.panels.data() + mt * p.K * kRows;
      const int64_t s1 = std::min(n_tiles, (ch + 1) * kChunkTiles);
      for (int64_t s = ch * kChunkTiles; s < s1; ++s) {
        const int64_t p0 = s * kTilePositions, n = std::min(kTilePositions, P - p0), nv = (n + 15) / 16;
        const __mmask16 last = avx512::lanes_below(n - 16 * (nv - 1));
        using Tile = void (*)(const float*, int64_t, const float*, int64_t, __mmask16, int64_t, int, const Out&);
        static constexpr Tile kTiles[2][4] = {{tile<1, false>, tile<2, false>, tile<3, false>, tile<4, false>},
                                              {tile<1, true>, tile<2, true>, tile<3, true>, tile<4, true>}};
        kTiles[z != nullptr][nv - 1](panel, p.K, x, p0, last, m0, mr, o);
      }
    }
  };
  const double macs = static_cast<double>(p.M) * static_cast<double>(p.K) * static_cast<double>(P);
  parallel_for_if(pool, macs, m_tiles * chunks, body);
}

#else
bool available() { return false; }
void run(const Packed&, const float*, int64_t, const float*, const float*, float*, ThreadPool*, float, float) {}
#endif

}  // namespace edge::rt::linalg::pw512
