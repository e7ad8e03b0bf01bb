// Cache-blocked float32 GEMM (see gemm.h).
//
// C is cut into a fixed grid of MC x NC blocks (independent of the thread count); each block
// is one task. A task walks K in KC slices, packs the A slice into MR-row panels and the B
// slice into NR-column panels, and runs an MR x NR register-tile micro-kernel that adds
// alpha * (sum over the slice, k ascending) into C. The summation order of every element is
// thus fixed by the shapes alone, never by the thread count. On x86-64 CPUs with AVX2 and FMA
// an AVX2+FMA build of the same code is selected at run time (the multiply-adds are then
// fused, so results may differ in the last bits from CPUs without them).
#include "runtime/linalg/gemm.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "runtime/thread_pool.h"

namespace edge::rt::linalg {
namespace {

// A per-thread buffer that grows to the largest size asked for and is then reused, so
// steady-state GEMM calls never allocate.
class Scratch {
 public:
  float* get(int64_t n) {
    if (n > cap_) {
      buf_.reset(new float[static_cast<size_t>(n)]);
      cap_ = n;
    }
    return buf_.get();
  }

 private:
  std::unique_ptr<float[]> buf_;
  int64_t cap_ = 0;
};
thread_local Scratch t_pack_a, t_pack_b, t_row;
bool g_force_generic = false;

constexpr int64_t kKC = 256;
constexpr int64_t kMC = 192;  // rows per task when C is split by rows (multiple of 4 and 6)
constexpr int64_t kNC = 128;  // columns per task (multiple of 8 and 16)

typedef float v8f __attribute__((vector_size(32)));

struct GemmArgs {
  bool ta, tb;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
  const float* bpacked = nullptr;  // B already in panel layout (sgemm_packed_ab)
};

inline float a_at(const GemmArgs& g, int64_t i, int64_t k) { return g.ta ? g.A[k * g.lda + i] : g.A[i * g.lda + k]; }

// The whole of op(A), packed once per call: for each KC slice starting at p0, the slice
// occupies m_pad * kc floats at ap + p0 * m_pad, as MR-row panels of kc x MR (rows past M zero).
struct Plan {
  int64_t m_pad, mblk, nblocks, tasks;
  const float* ap;
};

void pack_a_all(const GemmArgs& g, int64_t mr, int64_t m_pad, float* ap) {
  for (int64_t p0 = 0; p0 < g.K; p0 += kKC) {
    const int64_t kc = std::min(kKC, g.K - p0);
    float* slice = ap + p0 * m_pad;
    for (int64_t r = 0; r < m_pad; r += mr) {
      float* dst = slice + r * kc;
      for (int64_t i = 0; i < mr; ++i) {
        const int64_t row = r + i;
        if (row >= g.M) {
          for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = 0.f;
        } else if (g.ta) {
          for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = g.A[(p0 + k) * g.lda + row];
        } else {
          const float* src = g.A + row * g.lda + p0;
          for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = src[k];
        }
      }
    }
  }
}

// Bp[panel][k][j] for columns [j0, j0+nc), k in [p0, p0+kc); columns past N are zero.
template <int NR>
void pack_b(const GemmArgs& g, int64_t j0, int64_t nc, int64_t p0, int64_t kc, float* bp) {
  for (int64_t s = 0; s < nc; s += NR) {
    float* dst = bp + s * kc;
    int64_t cols = std::min<int64_t>(NR, g.N - (j0 + s));
    if (g.tb) {
      for (int64_t j = 0; j < NR; ++j) {
        if (j >= cols) {
          for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = 0.f;
          continue;
        }
        const float* src = g.B + (j0 + s + j) * g.ldb + p0;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = g.B + (p0 + k) * g.ldb + j0 + s;
        float* d = dst + k * NR;
        int64_t j = 0;
        for (; j < cols; ++j) d[j] = src[j];
        for (; j < NR; ++j) d[j] = 0.f;
      }
    }
  }
}

template <int MR, int NR>
__attribute__((always_inline)) inline void micro(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                 int64_t mr, int64_t nr, float alpha) {
  constexpr int NV = NR / 8;
  v8f acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = v8f{};
  for (int64_t k = 0; k < kc; ++k) {
    v8f bv[NV];
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + k * NR + 8 * v, sizeof(v8f));
    for (int i = 0; i < MR; ++i) {
      const float av = a[k * MR + i];
      for (int v = 0; v < NV; ++v) acc[i][v] += av * bv[v];
    }
  }
  if (mr == MR && nr == NR) {  // a full tile: vector read-modify-write of C
    for (int i = 0; i < MR; ++i) {
      float* crow = c + i * ldc;
      for (int v = 0; v < NV; ++v) {
        v8f cv;
        std::memcpy(&cv, crow + 8 * v, sizeof(v8f));
        cv += alpha == 1.f ? acc[i][v] : alpha * acc[i][v];
        std::memcpy(crow + 8 * v, &cv, sizeof(v8f));
      }
    }
    return;
  }
  float tile[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) std::memcpy(&tile[i][8 * v], &acc[i][v], sizeof(v8f));
  for (int64_t i = 0; i < mr; ++i) {
    float* crow = c + i * ldc;
    for (int64_t j = 0; j < nr; ++j) crow[j] += alpha * tile[i][j];
  }
}

// Runs tasks [t0, t1) of the block grid: task t covers rows [i0, i0 + mblk) and columns
// [j0, j0 + kNC) of C, packs its B block once per KC slice and sweeps its rows with it.
template <int MR, int NR>
__attribute__((always_inline)) inline void run_tasks(const GemmArgs& g, const Plan& p, int64_t t0, int64_t t1) {
  const int64_t kc_max = std::min(kKC, g.K);
  const int64_t nc_max = std::min(kNC, (g.N + NR - 1) / NR * NR);
  float* bp = g.bpacked ? nullptr : t_pack_b.get(nc_max * kc_max);
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t i0 = (t / p.nblocks) * p.mblk, j0 = (t % p.nblocks) * kNC;
    const int64_t mc = std::min(p.mblk, g.M - i0), nc = std::min(kNC, g.N - j0);
    for (int64_t i = 0; i < mc; ++i) {
      float* crow = g.C + (i0 + i) * g.ldc + j0;
      if (g.beta == 0.f) {
        std::fill(crow, crow + nc, 0.f);
      } else if (g.beta != 1.f) {
        for (int64_t j = 0; j < nc; ++j) crow[j] *= g.beta;
      }
    }
    const int64_t nc_pad = (nc + NR - 1) / NR * NR;
    for (int64_t p0 = 0; p0 < g.K; p0 += kKC) {
      const int64_t kc = std::min(kKC, g.K - p0);
      const float* bslice = bp;
      if (g.bpacked) {
        bslice = g.bpacked + p0 * ((g.N + NR - 1) / NR * NR) + j0 * kc;
      } else {
        pack_b<NR>(g, j0, nc_pad, p0, kc, bp);
      }
      const float* aslice = p.ap + p0 * p.m_pad;
      for (int64_t s = 0; s < nc; s += NR) {
        const int64_t nr = std::min<int64_t>(NR, nc - s);
        for (int64_t r = 0; r < mc; r += MR) {
          const int64_t mr = std::min<int64_t>(MR, mc - r);
          micro<MR, NR>(kc, aslice + (i0 + r) * kc, bslice + s * kc, g.C + (i0 + r) * g.ldc + j0 + s, g.ldc, mr,
                        nr, g.alpha);
        }
      }
    }
  }
}

void run_tasks_generic(const GemmArgs& g, const Plan& p, int64_t t0, int64_t t1) { run_tasks<4, 8>(g, p, t0, t1); }
void run_tasks_6x16_generic(const GemmArgs& g, const Plan& p, int64_t t0, int64_t t1) {
  run_tasks<6, 16>(g, p, t0, t1);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void run_tasks_avx2(const GemmArgs& g, const Plan& p, int64_t t0, int64_t t1) {
  run_tasks<6, 16>(g, p, t0, t1);
}
bool has_avx2() {
  static const bool v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return v && !g_force_generic;
}
#else
void run_tasks_avx2(const GemmArgs& g, const Plan& p, int64_t t0, int64_t t1) { run_tasks_6x16_generic(g, p, t0, t1); }
bool has_avx2() { return false; }
#endif

// Dot product with 8 independent partial sums (vectorizable without reassociation).
float dot8(const float* x, const float* y, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += x[k + l] * y[k + l];
  float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; k < n; ++k) r += x[k] * y[k];
  return r;
}

inline void scale_c(float& c, float beta) { c = beta == 0.f ? 0.f : c * beta; }

// M == 1: one row of A against B; columns [j0, j1).
void row_times_matrix(const GemmArgs& g, int64_t j0, int64_t j1) {
  float* c = g.C;
  if (g.tb) {
    const float* a = g.A;
    if (g.ta) {
      float* packed = t_row.get(g.K);
      for (int64_t k = 0; k < g.K; ++k) packed[k] = a_at(g, 0, k);
      a = packed;
    }
    for (int64_t j = j0; j < j1; ++j) {
      scale_c(c[j], g.beta);
      c[j] += g.alpha * dot8(a, g.B + j * g.ldb, g.K);
    }
    return;
  }
  const int64_t n = j1 - j0;
  float* ac = t_row.get(n);
  std::fill(ac, ac + n, 0.f);
  for (int64_t k = 0; k < g.K; ++k) {
    const float a = a_at(g, 0, k);
    const float* b = g.B + k * g.ldb + j0;
    for (int64_t j = 0; j < n; ++j) ac[j] += a * b[j];
  }
  for (int64_t j = 0; j < n; ++j) {
    scale_c(c[j0 + j], g.beta);
    c[j0 + j] += g.alpha * ac[j];
  }
}

// N == 1 and A not transposed: rows [i0, i1) of A dotted with B's single column.
void matrix_times_col(const GemmArgs& g, const float* bcol, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    float& c = g.C[i * g.ldc];
    scale_c(c, g.beta);
    c += g.alpha * dot8(g.A + i * g.lda, bcol, g.K);
  }
}

// Fills C's rows with beta * C (or zeros) for K == 0.
void scale_only(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) scale_c(C[i * ldc + j], beta);
}

bool is_big(int64_t M, int64_t N, int64_t K) {
  return static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) >= kParallelMinMacs;
}

void run_range(ThreadPool* pool, int64_t n, RangeFn fn) {
  if (pool) {
    pool->parallel_for(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

int64_t pick_mblk(int64_t m_pad, int64_t nblocks) {
  // One row block when there are enough column blocks to share out (B is then packed once);
  // the grid depends on the shapes only.
  return nblocks >= 8 && m_pad <= 4 * kMC ? m_pad : kMC;
}

void run_blocked(const GemmArgs& g, int64_t mr, int64_t m_pad, const float* ap, ThreadPool* pool) {
  Plan p;
  p.m_pad = m_pad;
  p.nblocks = (g.N + kNC - 1) / kNC;
  p.mblk = pick_mblk(m_pad, p.nblocks);
  p.tasks = ((g.M + p.mblk - 1) / p.mblk) * p.nblocks;
  p.ap = ap;
  run_range(is_big(g.M, g.N, g.K) ? pool : nullptr, p.tasks, [&](int64_t b, int64_t e) {
    if (mr == 6) {
      if (has_avx2()) {
        run_tasks_avx2(g, p, b, e);
      } else {
        run_tasks_6x16_generic(g, p, b, e);
      }
    } else {
      run_tasks_generic(g, p, b, e);
    }
  });
}

int64_t current_mr() { return has_avx2() ? 6 : 4; }

}  // namespace

PackedA::PackedA(bool trans_a, int64_t M, int64_t K, const float* A, int64_t lda)
    : M_(M), K_(K), mr_(current_mr()) {
  m_pad_ = (M + mr_ - 1) / mr_ * mr_;
  data_.reset(new float[static_cast<size_t>(std::max<int64_t>(m_pad_ * K, 1))]);
  GemmArgs g{trans_a, false, M, 0, K, 1.f, A, lda, nullptr, 0, 0.f, nullptr, 0};
  pack_a_all(g, mr_, m_pad_, data_.get());
}

int64_t PackedA::nr() const { return mr_ == 6 ? 16 : 8; }

int64_t packed_b_size(const PackedA& a, int64_t N) {
  const int64_t nr = a.nr();
  return std::max<int64_t>(a.depth(), 1) * ((N + nr - 1) / nr * nr);
}

void pack_b_row(const PackedA& a, int64_t N, int64_t k, const float* row, float* packed) {
  const int64_t nr = a.nr(), n_pad = (N + nr - 1) / nr * nr;
  const int64_t p0 = k / kKC * kKC, kc = std::min(kKC, a.depth() - p0);
  float* dst = packed + p0 * n_pad + (k - p0) * nr;
  for (int64_t q = 0; q < n_pad; q += nr, dst += nr * kc) {
    const int64_t cols = std::min(nr, N - q);
    std::memcpy(dst, row + q, static_cast<size_t>(cols) * sizeof(float));
    std::fill(dst + cols, dst + nr, 0.f);
  }
}

void sgemm_packed_ab(const PackedA& a, const float* packed_b, int64_t N, float alpha, float beta, float* C,
                     int64_t ldc, ThreadPool* pool) {
  const int64_t M = a.rows(), K = a.depth();
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_only(M, N, beta, C, ldc);
  GemmArgs g{false, false, M, N, K, alpha, nullptr, 0, nullptr, 0, beta, C, ldc, packed_b};
  run_blocked(g, a.mr(), a.m_pad(), a.data(), pool);
}

bool sgemm_uses_avx2() { return has_avx2(); }
void sgemm_force_generic(bool on) { g_force_generic = on; }

void sgemm_packed(const PackedA& a, bool trans_b, int64_t N, float alpha, const float* B, int64_t ldb, float beta,
                  float* C, int64_t ldc, ThreadPool* pool) {
  const int64_t M = a.rows(), K = a.depth();
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return scale_only(M, N, beta, C, ldc);
  GemmArgs g{false, trans_b, M, N, K, alpha, nullptr, 0, B, ldb, beta, C, ldc};
  run_blocked(g, a.mr(), a.m_pad(), a.data(), pool);
}

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  GemmArgs g{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  if (K <= 0) return scale_only(M, N, beta, C, ldc);
  ThreadPool* par = is_big(M, N, K) ? pool : nullptr;
  if (M == 1) {
    constexpr int64_t kChunk = 512;  // fixed column chunks: the split never changes the sums
    run_range(par, (N + kChunk - 1) / kChunk, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) row_times_matrix(g, t * kChunk, std::min(N, (t + 1) * kChunk));
    });
    return;
  }
  if (N == 1 && !trans_a) {
    const float* bcol = B;
    if (!trans_b && ldb != 1) {
      float* packed = t_row.get(K);
      for (int64_t k = 0; k < K; ++k) packed[k] = B[k * ldb];
      bcol = packed;
    }
    run_range(par, M, [&](int64_t b, int64_t e) { matrix_times_col(g, bcol, b, e); });
    return;
  }
  const int64_t mr = current_mr();
  const int64_t m_pad = (M + mr - 1) / mr * mr;
  float* ap = t_pack_a.get(m_pad * K);
  pack_a_all(g, mr, m_pad, ap);
  run_blocked(g, mr, m_pad, ap, pool);
}

}  // namespace edge::rt::linalg
