// AVX-512 channels-on-lanes tile of the direct convolution (see conv2d_direct_c16.h).
#include "runtime/linalg/conv2d_direct_c16.h"

#include <algorithm>
#include <array>
#include <utility>

#include "runtime/linalg/avx512_util.h"
#include "runtime/linalg/gemm.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EDGE_C16_X86 1
#endif

namespace edge::rt::linalg::c16 {

namespace {

bool g_force_off = false;

// The most positions per tile for MV channel vectors: MV * P accumulators, MV weight vectors
// and one broadcast within the 32 vector registers (one vector: 16, so that loads stay near
// one per multiply-add).
constexpr int kMaxPositions[5] = {0, 16, 12, 8, 6};

using TileFn = void (*)(int64_t K, const float* w, const float* x, const int64_t* offset, float* c, int64_t m_pad,
                        bool first);

// Taps per block: a block's weights (kBlockBytes) stay in the L1 cache while every position of
// a task's rows is computed with them; the partial sums go through `out` between blocks
// (stored and reloaded exactly, so the sum is the same as in one pass).
constexpr int64_t kBlockBytes = 24 * 1024;

#ifdef EDGE_C16_X86
using avx512::lanes_below;
using avx512::lanes_between;
using avx512::transpose16;

// c[j * m_pad + 16 * v + lane] (+)= sum_k w[k][16 * v + lane] * x[offset[k] + j], for j < P:
// from zero when `first`, else added to what c holds.
template <int MV, int P>
__attribute__((target("avx512f"))) void tile(int64_t K, const float* w, const float* x, const int64_t* offset, float* c,
                                             int64_t m_pad, bool first) {
  __m512 acc[MV][P];
  for (int v = 0; v < MV; ++v)
    for (int j = 0; j < P; ++j) acc[v][j] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + j * m_pad + 16 * v);
  for (int64_t k = 0; k < K; ++k, w += 16 * MV) {
    const float* xk = x + offset[k];
    __m512 wv[MV];
    for (int v = 0; v < MV; ++v) wv[v] = _mm512_loadu_ps(w + 16 * v);
    for (int j = 0; j < P; ++j) {
      const __m512 xv = _mm512_set1_ps(xk[j]);
      for (int v = 0; v < MV; ++v) acc[v][j] = _mm512_fmadd_ps(wv[v], xv, acc[v][j]);
    }
  }
  for (int j = 0; j < P; ++j)
    for (int v = 0; v < MV; ++v) _mm512_storeu_ps(c + j * m_pad + 16 * v, acc[v][j]);
}

template <int MV, int... Ps>
constexpr std::array<TileFn, sizeof...(Ps)> tiles_of(std::integer_sequence<int, Ps...>) {
  return {&tile<MV, Ps + 1>...};
}

const auto kTiles1 = tiles_of<1>(std::make_integer_sequence<int, kMaxPositions[1]>{});
const auto kTiles2 = tiles_of<2>(std::make_integer_sequence<int, kMaxPositions[2]>{});
const auto kTiles3 = tiles_of<3>(std::make_integer_sequence<int, kMaxPositions[3]>{});
const auto kTiles4 = tiles_of<4>(std::make_integer_sequence<int, kMaxPositions[4]>{});

TileFn tile_for(int64_t vecs, int64_t positions) {
  const size_t i = static_cast<size_t>(positions - 1);
  switch (vecs) {
    case 1:
      return kTiles1[i];
    case 2:
      return kTiles2[i];
    case 3:
      return kTiles3[i];
    default:
      return kTiles4[i];
  }
}

bool cpu_has_avx512() {
  static const bool v = __builtin_cpu_supports("avx512f");
  return v;
}

#else
TileFn tile_for(int64_t, int64_t) { return nullptr; }
bool cpu_has_avx512() { return false; }
#endif

// A row of OW positions in as few tiles of at most `max_p` as possible, of near-equal length.
struct RowSplit {
  int64_t segments, base, extra;  // the first `extra` segments have base + 1 positions
  RowSplit(int64_t OW, int64_t max_p) : segments((OW + max_p - 1) / max_p), base(OW / segments), extra(OW % segments) {}
  int64_t start(int64_t s) const { return s * base + std::min(s, extra); }
  int64_t length(int64_t s) const { return base + (s < extra ? 1 : 0); }
};

}  // namespace

// A CPU without AVX2 has no AVX-512 either: the portable path forced for tests means no tile.
bool available() { return cpu_has_avx512() && !g_force_off && sgemm_uses_avx2(); }
void force_off(bool on) { g_force_off = on; }

#ifdef EDGE_C16_X86
__attribute__((target("avx512f"))) void fill_plane(float* plane, const float* x, int64_t H, int64_t W, int64_t row0,
                                                   int64_t sh, int64_t first, int64_t sw, int64_t Hq, int64_t Wq) {
  const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (int64_t j = 0; j < Wq; j += 16) {  // per 16 plane columns, the masks once for all rows
    const int64_t base = first + j * sw;  // input column of lane 0
    const __mmask16 store = lanes_below(std::min<int64_t>(16, Wq - j));
    const __mmask16 ma = lanes_between(-base, W - base), mb = lanes_between(-base - 16, W - base - 16);
    for (int64_t i = 0; i < Hq; ++i) {
      const int64_t ih = row0 + i * sh;
      __m512 v = _mm512_setzero_ps();
      if (ih >= 0 && ih < H) {
        const float* row = x + ih * W + base;
        if (sw == 1) {
          v = _mm512_maskz_loadu_ps(ma, row);
        } else {
          v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(ma, row), evens, _mm512_maskz_loadu_ps(mb, row + 16));
        }
      }
      _mm512_mask_storeu_ps(plane + i * Wq + j, store, v);
    }
  }
}

// GCC 12 reports the AVX-512 min/max intrinsics' own _mm512_undefined operands as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) void write_channels_first(const float* src, int64_t m_pad, int64_t Wq, int64_t OH,
                                                             int64_t OW, int64_t M, const float* bias, const float* z,
                                                             float* y, float lo, float hi, int64_t plane) {
  const int64_t on = plane > 0 ? plane : OH * OW;
  if (Wq == OW) {  // no padding columns: the positions are one run, cut into full blocks of 16
    OW *= OH;
    OH = 1;
  }
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  __m512 rows[16], cols[16];
  for (int64_t oh = 0; oh < OH; ++oh) {
    for (int64_t ow0 = 0; ow0 < OW; ow0 += 16) {
      const int64_t P = std::min<int64_t>(16, OW - ow0);
      const __mmask16 keep = lanes_below(P);
      for (int64_t m0 = 0; m0 < M; m0 += 16) {
        const float* s = src + (oh * Wq + ow0) * m_pad + m0;
        for (int64_t j = 0; j < 16; ++j) rows[j] = j < P ? _mm512_loadu_ps(s + j * m_pad) : _mm512_setzero_ps();
        transpose16(rows, cols);
        for (int64_t i = 0; i < std::min<int64_t>(16, M - m0); ++i) {
          const int64_t at = (m0 + i) * on + oh * OW + ow0;
          __m512 v = cols[i];
          v = _mm512_add_ps(v, bias ? _mm512_set1_ps(bias[m0 + i]) : _mm512_setzero_ps());
          if (z) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(keep, z + at));
          // (hi < v ? hi : v), then (lo > that ? lo : that): Clip's and Relu's scalar
          // comparisons, NaN kept.
          v = _mm512_max_ps(vlo, _mm512_min_ps(vhi, v));
          _mm512_mask_storeu_ps(y + at, keep, v);
        }
      }
    }
  }
}
#pragma GCC diagnostic pop
#else
void fill_plane(float* plane, const float* x, int64_t H, int64_t W, int64_t row0, int64_t sh, int64_t first, int64_t sw,
                int64_t Hq, int64_t Wq) {
  for (int64_t i = 0; i < Hq; ++i) {
    const int64_t ih = row0 + i * sh;
    for (int64_t j = 0; j < Wq; ++j) {
      const int64_t iw = first + j * sw;
      plane[i * Wq + j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[ih * W + iw] : 0.f;
    }
  }
}

void write_channels_first(const float* src, int64_t m_pad, int64_t Wq, int64_t OH, int64_t OW, int64_t M,
                          const float* bias, const float* z, float* y, float lo, float hi, int64_t plane) {
  const int64_t on = plane > 0 ? plane : OH * OW;
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t at = m * on + oh * OW + ow;
        float v = src[(oh * Wq + ow) * m_pad + m];
        v += bias ? bias[m] : 0.f;
        if (z) v += z[at];
        v = hi < v ? hi : v;
        y[at] = lo > v ? lo : v;
      }
    }
  }
}
#endif

Packed pack(int64_t M, int64_t K, const float* w) {
  Packed p;
  p.m_pad = (M + 15) / 16 * 16;
  const int64_t vecs = p.m_pad / 16;
  for (int64_t v = 0; v < vecs;) {
    const int64_t n = std::min<int64_t>(4, vecs - v);
    p.groups.push_back({v, n, static_cast<int64_t>(v * 16 * K)});
    v += n;
  }
  p.w.assign(static_cast<size_t>(p.m_pad * K), 0.f);
  for (const auto& g : p.groups) {
    const int64_t width = 16 * g.vecs;
    for (int64_t i = 0; i < width; ++i) {
      const int64_t m = g.first_vec * 16 + i;
      if (m >= M) break;
      float* dst = p.w.data() + g.offset + i;
      for (int64_t k = 0; k < K; ++k) dst[k * width] = w[m * K + k];
    }
  }
  return p;
}

void run(const Packed& p, int64_t K, const float* planes, const int64_t* offset, int64_t OH, int64_t OW, int64_t Wq,
         float* out, ThreadPool* pool, const Finished* finished) {
  // Tasks: a channel group and a chunk of its (row, segment) items; within a task, per tap
  // block, every item. The tiles are the same for any chunking, so results do not depend on
  // the thread count.
  // Without padding columns (Wq == OW, e.g. 1x1 kernels) the rows are one run of positions,
  // split into tiles across row ends.
  if (Wq == OW && OH > 1) {
    OW *= OH;
    Wq = OW;
    OH = 1;
  }
  // Each group's rows are cut into chunks in proportion to its channel vectors, so that
  // tasks carry about the same work (a 16-channel group next to 64-channel ones).
  const int threads = pool ? pool->size() : 1;
  const int64_t chunks_per_4_vecs = threads == 1 ? 1 : 4 * threads;
  int64_t tasks = 0;
  for (const auto& g : p.groups) tasks += std::max<int64_t>(1, chunks_per_4_vecs * g.vecs / 4);
  auto body = [&](int64_t t0, int64_t t1) {
    size_t gi = 0;
    int64_t first_task = 0, chunks = std::max<int64_t>(1, chunks_per_4_vecs * p.groups[0].vecs / 4);
    for (int64_t t = t0; t < t1; ++t) {
      while (t >= first_task + chunks) {
        first_task += chunks;
        chunks = std::max<int64_t>(1, chunks_per_4_vecs * p.groups[++gi].vecs / 4);
      }
      const auto& g = p.groups[gi];
      const RowSplit split(OW, kMaxPositions[g.vecs]);
      // This task's share of the group's (row, segment) items.
      const int64_t items = OH * split.segments, chunk = t - first_task;
      const int64_t i0 = chunk * items / chunks, i1 = (chunk + 1) * items / chunks;
      const int64_t width = 16 * g.vecs, kc = std::max<int64_t>(1, kBlockBytes / (width * 4));
      // With `finished`: blocks of items, each reported once all taps are in (the same tiles in
      // the same order per tile, so the same bits).
      const int64_t block = finished ? std::max<int64_t>(1, kFinishedPositions / split.length(0)) : i1 - i0;
      for (int64_t b0 = i0; b0 < i1; b0 += block) {
        const int64_t b1 = std::min(i1, b0 + block);
        for (int64_t k0 = 0; k0 < K; k0 += kc) {
          const int64_t kn = std::min(kc, K - k0);
          const float* w = p.w.data() + g.offset + k0 * width;
          for (int64_t i = b0; i < b1; ++i) {
            const int64_t oh = i / split.segments, s = i % split.segments;
            const int64_t column = oh * Wq + split.start(s);
            tile_for(g.vecs, split.length(s))(kn, w, planes + column, offset + k0,
                                              out + column * p.m_pad + g.first_vec * 16, p.m_pad, k0 == 0);
          }
        }
        for (int64_t i = b0; finished && i < b1;) {  // one report per output row the block touches
          const int64_t oh = i / split.segments, row_end = std::min(b1, (oh + 1) * split.segments);
          const int64_t c0 = split.start(i % split.segments), last = (row_end - 1) % split.segments;
          (*finished)(out + (oh * Wq + c0) * p.m_pad + g.first_vec * 16, p.m_pad, g.first_vec, g.vecs, oh * OW + c0,
                      split.start(last) + split.length(last) - c0);
          i = row_end;
        }
      }
    }
  };
  const double macs = static_cast<double>(p.m_pad) * static_cast<double>(K) * static_cast<double>(OH * OW);
  parallel_for_if(pool, macs, tasks, body);
}

}  // namespace edge::rt::linalg::c16
