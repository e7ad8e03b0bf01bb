// Implicit-GEMM 2-D convolution (see conv2d_direct.h).
#include "runtime/linalg/conv2d_direct.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"

namespace edge::rt::linalg {

namespace {

typedef float v8f __attribute__((vector_size(32)));

constexpr int64_t kChunkTiles = 8;  // column tiles per task

// One MR x NR register tile of the wide output: c[i][j] = sum_k a[k][i] * b[offset[k] + j].
template <int MR, int NR>
__attribute__((always_inline)) inline void tile(int64_t K, const float* a, const float* b, const int64_t* offset,
                                                float* c, int64_t ldc, int64_t mr) {
  constexpr int NV = NR / 8;
  v8f acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = v8f{};
  for (int64_t k = 0; k < K; ++k) {
    const float* bk = b + offset[k];
    v8f bv[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], bk + 8 * v, sizeof(v8f));
    const float* ak = a + k * MR;
    for (int i = 0; i < MR; ++i) {
      const float av = ak[i];
      for (int v = 0; v < NV; ++v) acc[i][v] += av * bv[v];
    }
  }
  // Compile-time indices only (a runtime index into acc would keep it out of registers).
  for (int i = 0; i < MR; ++i) {
    if (i < mr) {
      for (int v = 0; v < NV; ++v) std::memcpy(c + i * ldc + 8 * v, &acc[i][v], sizeof(v8f));
    }
  }
}

struct TaskArgs {
  int64_t M, K, n_tiles, chunks;
  const float* panels;
  const float* planes;
  const int64_t* offset;
  float* out;
  int64_t ld;
};

template <int MR, int NR>
__attribute__((always_inline)) inline void run_tasks(const TaskArgs& t, int64_t t0, int64_t t1) {
  for (int64_t task = t0; task < t1; ++task) {
    const int64_t mt = task / t.chunks, ch = task % t.chunks;
    const int64_t m0 = mt * MR, mr = std::min<int64_t>(MR, t.M - m0);
    const float* a = t.panels + mt * t.K * MR;
    const int64_t s1 = std::min(t.n_tiles, (ch + 1) * kChunkTiles);
    for (int64_t s = ch * kChunkTiles; s < s1; ++s) {
      tile<MR, NR>(t.K, a, t.planes + s * NR, t.offset, t.out + m0 * t.ld + s * NR, t.ld, mr);
    }
  }
}

// 6 x 16: twelve 8-float accumulators, two B vectors and a broadcast fit the 16 AVX2
// registers (a 4 x 24 tile needs all 16 and GCC spills it).
void tasks_generic(const TaskArgs& t, int64_t t0, int64_t t1) { run_tasks<6, 16>(t, t0, t1); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void tasks_avx2(const TaskArgs& t, int64_t t0, int64_t t1) {
  run_tasks<6, 16>(t, t0, t1);
}
#else
void tasks_avx2(const TaskArgs& t, int64_t t0, int64_t t1) { tasks_generic(t, t0, t1); }
#endif

// Sparse rows: rows a and b of the wide output, columns [0, 8 * NV) from `b` and `c` on, each
// summed over its own nonzero taps in order (value w[t], plane offset off[t]); the two rows run
// in lockstep for their common length (twice the independent accumulators), then the longer one
// alone. `nb` < 0: row a only.
template <int NV>
__attribute__((always_inline)) inline void sparse_tile2(int64_t na, const float* wa, const int64_t* oa, int64_t nb,
                                                        const float* wb, const int64_t* ob, const float* b, float* ca,
                                                        float* cb) {
  v8f acc_a[NV], acc_b[NV];
  for (int v = 0; v < NV; ++v) acc_a[v] = acc_b[v] = v8f{};
  const int64_t both = std::min(na, nb);
  int64_t t = 0;
  for (; t < both; ++t) {
    const float* pa = b + oa[t];
    const float* pb = b + ob[t];
    const float va = wa[t], vb = wb[t];
    for (int v = 0; v < NV; ++v) {
      v8f xa, xb;
      std::memcpy(&xa, pa + 8 * v, sizeof(v8f));
      std::memcpy(&xb, pb + 8 * v, sizeof(v8f));
      acc_a[v] += va * xa;
      acc_b[v] += vb * xb;
    }
  }
  for (int64_t u = t; u < na; ++u) {
    const float* pa = b + oa[u];
    for (int v = 0; v < NV; ++v) {
      v8f xa;
      std::memcpy(&xa, pa + 8 * v, sizeof(v8f));
      acc_a[v] += wa[u] * xa;
    }
  }
  for (int64_t u = t; u < nb; ++u) {
    const float* pb = b + ob[u];
    for (int v = 0; v < NV; ++v) {
      v8f xb;
      std::memcpy(&xb, pb + 8 * v, sizeof(v8f));
      acc_b[v] += wb[u] * xb;
    }
  }
  for (int v = 0; v < NV; ++v) std::memcpy(ca + 8 * v, &acc_a[v], sizeof(v8f));
  if (nb >= 0) {
    for (int v = 0; v < NV; ++v) std::memcpy(cb + 8 * v, &acc_b[v], sizeof(v8f));
  }
}

constexpr int64_t kSparseRowPairs = 8;  // row pairs per sparse task

struct SparseArgs {
  const int64_t* row_start;
  const float* w;
  const int64_t* off;
  const float* planes;
  float* out;
  int64_t M, ld, n_pad, blocks;  // blocks: tasks per 32-column tile
};

// Tasks are (32-column tile, block of 8 row pairs), tile-major: the rows of a task all read the
// same columns of the planes, which stay in L1. n_pad is a multiple of 16 (the last tile may be
// 16 columns).
__attribute__((always_inline)) inline void run_sparse_tasks(const SparseArgs& t, int64_t t0, int64_t t1) {
  for (int64_t task = t0; task < t1; ++task) {
    const int64_t j = task / t.blocks * 32, p0 = task % t.blocks * kSparseRowPairs;
    const bool wide = j + 32 <= t.n_pad;
    for (int64_t p = p0; p < p0 + kSparseRowPairs && 2 * p < t.M; ++p) {
      const int64_t m = 2 * p;
      const int64_t sa = t.row_start[m], na = t.row_start[m + 1] - sa;
      const bool pair = m + 1 < t.M;
      const int64_t sb = pair ? t.row_start[m + 1] : sa, nb = pair ? t.row_start[m + 2] - sb : -1;
      float* ra = t.out + m * t.ld + j;
      float* rb = pair ? ra + t.ld : ra;
      if (wide) {
        sparse_tile2<4>(na, t.w + sa, t.off + sa, nb, t.w + sb, t.off + sb, t.planes + j, ra, rb);
      } else {
        sparse_tile2<2>(na, t.w + sa, t.off + sa, nb, t.w + sb, t.off + sb, t.planes + j, ra, rb);
      }
    }
  }
}

void sparse_generic(const SparseArgs& t, int64_t t0, int64_t t1) { run_sparse_tasks(t, t0, t1); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void sparse_avx2(const SparseArgs& t, int64_t t0, int64_t t1) {
  run_sparse_tasks(t, t0, t1);
}
#else
void sparse_avx2(const SparseArgs& t, int64_t t0, int64_t t1) { sparse_generic(t, t0, t1); }
#endif

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

struct DirectConv2d::Layout {
  int64_t Hp, Wp;          // padded extent the windows read
  int64_t Hq, Wq, plane;   // one phase plane
  int64_t n_wide, n_pad;   // wide output columns, rounded up to whole tiles
  int64_t offset_floats;   // the tap offsets (int64) in floats, rounded to 16
  int64_t plane_floats;    // all planes plus slack for the last tiles' reads, rounded to 16
};

DirectConv2d::DirectConv2d(int64_t M, int64_t C, int64_t KH, int64_t KW, const float* w, bool sparse)
    : M_(M), C_(C), KH_(KH), KW_(KW), K_(C * KH * KW), sparse_(sparse) {
  if (sparse_) {
    row_start_.assign(1, 0);
    for (int64_t m = 0; m < M_; ++m) {
      for (int64_t k = 0; k < K_; ++k) {
        const float v = w[m * K_ + k];
        if (v == 0.f) continue;
        tap_k_.push_back(static_cast<int32_t>(k));
        tap_w_.push_back(v);
      }
      row_start_.push_back(static_cast<int64_t>(tap_w_.size()));
    }
    return;
  }
  if (c16::available()) {
    c16_ = c16::pack(M_, K_, w);
    return;
  }
  const int64_t tiles = (M_ + mr_ - 1) / mr_;
  panels_.assign(static_cast<size_t>(tiles * K_ * mr_), 0.f);
  for (int64_t m = 0; m < M_; ++m) {
    float* panel = panels_.data() + (m / mr_) * K_ * mr_ + m % mr_;
    for (int64_t k = 0; k < K_; ++k) panel[k * mr_] = w[m * K_ + k];
  }
}

const char* DirectConv2d::tile_name() const { return sparse_ ? "sparse" : c16_.m_pad > 0 ? "avx512-c16" : "6x16"; }

bool DirectConv2d::sparse_pays(double zeros, int64_t taps, int64_t channels, int64_t positions, bool unit_strides) {
  const bool pointwise_ok = unit_strides && channels >= 64 && positions >= 32;
  if (c16::available()) {
    if (taps > 1) return zeros >= 0.95 || (zeros >= 0.9 && positions >= 100);
    return pointwise_ok && (zeros >= 0.95 || (zeros >= 0.9 && channels >= 128 && positions >= 100));
  }
  if (taps > 1) return zeros >= 0.7;
  return pointwise_ok && zeros >= 0.9;
}

double zero_share(const float* w, int64_t n) {
  if (n <= 0) return 0.0;
  int64_t zeros = 0;
  for (int64_t i = 0; i < n; ++i) zeros += w[i] == 0.f;
  return static_cast<double>(zeros) / static_cast<double>(n);
}

DirectConv2d::Layout DirectConv2d::layout(const Conv2dGeom& g) const {
  Layout l;
  l.Hp = (g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1;
  l.Wp = (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1;
  l.Hq = (l.Hp + g.sh - 1) / g.sh;
  l.Wq = (l.Wp + g.sw - 1) / g.sw;
  l.plane = l.Hq * l.Wq;
  l.n_wide = g.OH * l.Wq;
  l.n_pad = round_up(l.n_wide, nr_);
  l.offset_floats = round_up(2 * (K_ + static_cast<int64_t>(tap_k_.size())), 16);  // int64 each
  // The largest tap offset is below C * sh * sw * plane; a tile reads up to n_pad columns past it.
  l.plane_floats = round_up(C_ * g.sh * g.sw * l.plane + l.n_pad, 16);
  return l;
}

size_t DirectConv2d::scratch_floats(const Conv2dGeom& g) const {
  const Layout l = layout(g);
  return static_cast<size_t>(l.offset_floats + l.plane_floats + std::max(M_ * l.n_pad, c16_.m_pad * l.n_wide));
}

void DirectConv2d::fill_planes(const float* x, const Conv2dGeom& g, const Layout& l, float* planes,
                               ThreadPool* pool) const {
  const int64_t per_channel = g.sh * g.sw * l.plane;
  auto fill = [&](int64_t c0, int64_t c1) {
    float* p = planes + c0 * per_channel;
    for (int64_t c = c0; c < c1; ++c) {
      const float* xc = x + c * g.H * g.W;
      for (int64_t a = 0; a < g.sh; ++a) {
        for (int64_t b = 0; b < g.sw; ++b, p += l.plane) fill_one_plane(p, xc, g, l, a, b);
      }
    }
  };
  if (pool && C_ > 1 && static_cast<double>(C_) * static_cast<double>(per_channel) > 32768.0) {
    pool->parallel_for(C_, fill);
  } else {
    fill(0, C_);
  }
  std::fill(planes + C_ * per_channel, planes + l.plane_floats, 0.f);  // slack read by the last tiles
}

// Phase plane (a, b) of one channel: plane column j holds input column j * sw + b - pw.
void DirectConv2d::fill_one_plane(float* p, const float* xc, const Conv2dGeom& g, const Layout& l, int64_t a,
                                  int64_t b) const {
  const int64_t first = b - g.pw;     // input column of plane column 0
  if (g.sw <= 2 && c16_.m_pad > 0) {  // AVX-512 is there
    c16::fill_plane(p, xc, g.H, g.W, a - g.ph, g.sh, first, g.sw, l.Hq, l.Wq);
    return;
  }
  int64_t lo, hi;
  g.inside_columns(first, l.Wq, &lo, &hi);
  for (int64_t i = 0; i < l.Hq; ++i) {
    float* dst = p + i * l.Wq;
    const int64_t ih = i * g.sh + a - g.ph;
    if (ih < 0 || ih >= g.H) {
      std::fill(dst, dst + l.Wq, 0.f);
      continue;
    }
    const float* src = xc + ih * g.W + first;
    std::fill(dst, dst + lo, 0.f);
    if (g.sw == 1) {
      std::memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(float));
    } else {
      for (int64_t j = lo; j < hi; ++j) dst[j] = src[j * g.sw];
    }
    std::fill(dst + hi, dst + l.Wq, 0.f);
  }
}

DirectConv2d::Wide DirectConv2d::run(const float* x, const Conv2dGeom& g, float* scratch, ThreadPool* pool,
                                     const c16::Finished* finished) const {
  const Layout l = layout(g);
  auto* offset = reinterpret_cast<int64_t*>(scratch);
  float* planes = scratch + l.offset_floats;
  float* out = planes + l.plane_floats;
  // Tap (c, kh, kw) reads plane (c, kh*dh % sh, kw*dw % sw) at row kh*dh / sh and column
  // kw*dw / sw; quotients and remainders are stepped (no division per tap).
  const int64_t dq_h = g.dh / g.sh, dr_h = g.dh % g.sh, dq_w = g.dw / g.sw, dr_w = g.dw % g.sw;
  for (int64_t kh = 0, qh = 0, rh = 0; kh < KH_; ++kh) {
    const int64_t row_part = rh * g.sw * l.plane + qh * l.Wq;
    for (int64_t kw = 0, qw = 0, rw = 0; kw < KW_; ++kw) {
      offset[kh * KW_ + kw] = row_part + rw * l.plane + qw;
      qw += dq_w;
      rw += dr_w;
      if (rw >= g.sw) rw -= g.sw, ++qw;
    }
    qh += dq_h;
    rh += dr_h;
    if (rh >= g.sh) rh -= g.sh, ++qh;
  }
  const int64_t channel_stride = g.sh * g.sw * l.plane, taps = KH_ * KW_;
  for (int64_t k = taps; k < K_; ++k) offset[k] = offset[k - taps] + channel_stride;
  // The copy is split like the layer: only a layer worth splitting has planes worth it.
  const double layer_macs = static_cast<double>(M_) * static_cast<double>(K_) * static_cast<double>(g.OH * g.OW);
  fill_planes(x, g, l, planes, layer_macs >= kParallelMinMacs ? pool : nullptr);
  if (sparse_) {
    run_sparse(l, offset, planes, out, pool);
    return {out, l.n_pad, l.Wq, 1};
  }
  if (c16_.m_pad > 0) {
    c16::run(c16_, K_, planes, offset, g.OH, g.OW, l.Wq, out, pool, finished);
    return {out, 1, l.Wq, c16_.m_pad, finished != nullptr};
  }
  const int64_t n_tiles = l.n_pad / nr_;
  TaskArgs t{M_, K_, n_tiles, (n_tiles + kChunkTiles - 1) / kChunkTiles, panels_.data(), planes, offset, out,
             l.n_pad};
  const int64_t tasks = (M_ + mr_ - 1) / mr_ * t.chunks;
  const bool avx2 = sgemm_uses_avx2();
  auto body = [&](int64_t t0, int64_t t1) {
    if (avx2) {
      tasks_avx2(t, t0, t1);
    } else {
      tasks_generic(t, t0, t1);
    }
  };
  const double macs = static_cast<double>(M_) * static_cast<double>(K_) * static_cast<double>(l.n_wide);
  parallel_for_if(pool, macs, tasks, body);
  return {out, l.n_pad, l.Wq, 1};
}

void DirectConv2d::run_sparse(const Layout& l, int64_t* offset, const float* planes, float* out,
                              ThreadPool* pool) const {
  const int64_t nnz = static_cast<int64_t>(tap_k_.size());
  int64_t* off = offset + K_;  // the scratch after the K tap offsets: one offset per nonzero
  for (int64_t t = 0; t < nnz; ++t) off[t] = offset[tap_k_[static_cast<size_t>(t)]];
  const int64_t pairs = (M_ + 1) / 2, tiles = (l.n_pad + 31) / 32;
  SparseArgs t{row_start_.data(), tap_w_.data(), off, planes, out, M_, l.n_pad, l.n_pad,
               (pairs + kSparseRowPairs - 1) / kSparseRowPairs};
  const bool avx2 = sgemm_uses_avx2();
  auto body = [&](int64_t t0, int64_t t1) {
    if (avx2) {
      sparse_avx2(t, t0, t1);
    } else {
      sparse_generic(t, t0, t1);
    }
  };
  const int64_t tasks = tiles * t.blocks;
  parallel_for_if(pool, static_cast<double>(nnz) * static_cast<double>(l.n_wide), tasks, body);
}

}  // namespace edge::rt::linalg
