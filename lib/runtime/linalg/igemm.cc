#include "runtime/linalg/igemm.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EDGE_IGEMM_X86 1
#endif

namespace edge::rt::linalg {

namespace {

constexpr int64_t kRows = 4;       // rows of A per register block
constexpr int64_t kCols = 256;     // columns of B per block (4 x 256 x 4 bytes of sums: L1)
constexpr int64_t kRowGroup = 16;  // rows per parallel task
bool g_force_generic = false;

// ---- Portable path: a register-blocked loop the compiler vectorizes. -------------------------

// Rows [m0, m0 + mr) x columns [n0, n0 + nc) of C. Sums are kept as uint32 so that a sum past
// the int32 range wraps (defined) instead of overflowing; the bits are the int32 result.
void block(int64_t m0, int64_t mr, int64_t n0, int64_t nc, int64_t K, const int16_t* A, int64_t lda, const int16_t* B,
           int64_t ldb, int32_t* C, int64_t ldc, bool accumulate) {
  alignas(64) uint32_t s[kRows][kCols];
  for (int64_t r = 0; r < mr; ++r) {
    const int32_t* c = C + (m0 + r) * ldc + n0;
    for (int64_t j = 0; j < nc; ++j) s[r][j] = accumulate ? static_cast<uint32_t>(c[j]) : 0u;
  }
  if (mr == kRows) {
    const int16_t* a0p = A + m0 * lda;
    const int16_t* a1p = a0p + lda;
    const int16_t* a2p = a1p + lda;
    const int16_t* a3p = a2p + lda;
    for (int64_t k = 0; k < K; ++k) {
      const int32_t a0 = a0p[k], a1 = a1p[k], a2 = a2p[k], a3 = a3p[k];
      if ((a0 | a1 | a2 | a3) == 0) continue;  // pruned weights cost nothing
      const int16_t* b = B + k * ldb + n0;
      for (int64_t j = 0; j < nc; ++j) {
        const int32_t bj = b[j];
        s[0][j] += static_cast<uint32_t>(a0 * bj);
        s[1][j] += static_cast<uint32_t>(a1 * bj);
        s[2][j] += static_cast<uint32_t>(a2 * bj);
        s[3][j] += static_cast<uint32_t>(a3 * bj);
      }
    }
  } else {
    for (int64_t r = 0; r < mr; ++r) {
      const int16_t* ap = A + (m0 + r) * lda;
      for (int64_t k = 0; k < K; ++k) {
        const int32_t a = ap[k];
        if (a == 0) continue;
        const int16_t* b = B + k * ldb + n0;
        for (int64_t j = 0; j < nc; ++j) s[r][j] += static_cast<uint32_t>(a * static_cast<int32_t>(b[j]));
      }
    }
  }
  for (int64_t r = 0; r < mr; ++r) {
    int32_t* c = C + (m0 + r) * ldc + n0;
    for (int64_t j = 0; j < nc; ++j) c[j] = static_cast<int32_t>(s[r][j]);
  }
}

void run_generic(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
                 int32_t* C, int64_t ldc, bool accumulate, int64_t t0, int64_t t1) {
  const int64_t col_blocks = (N + kCols - 1) / kCols;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t rg = t / col_blocks, cb = t % col_blocks;
    const int64_t n0 = cb * kCols, nc = std::min(kCols, N - n0);
    const int64_t m_end = std::min(M, (rg + 1) * kRowGroup);
    for (int64_t m0 = rg * kRowGroup; m0 < m_end; m0 += kRows) {
      block(m0, std::min(kRows, m_end - m0), n0, nc, K, A, lda, B, ldb, C, ldc, accumulate);
    }
  }
}

// ---- AVX2 path: pairs of k multiplied and added at once (vpmaddwd). ---------------------------
// A is packed as one int32 per (row, k pair) holding a[k] (low half) and a[k+1] (high half);
// B as panels of 16 columns, each k pair stored column by column as (b[k][j], b[k+1][j]), so
// that _mm256_madd_epi16 of a broadcast A pair and 16 int16 of B gives a[k]*b[k][j] +
// a[k+1]*b[k+1][j] for 8 columns. Each such sum is at most 2 * 255 * 255: no int16/int32 overflow
// before the (wrapping) 32-bit accumulation.

constexpr int64_t kPanel = 16;  // columns per B panel

#ifdef EDGE_IGEMM_X86
bool has_avx2() {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}

// 4 (or fewer) rows x 16 columns of C from kp pairs of packed A rows and one B panel.
__attribute__((target("avx2"))) void micro_avx2(int64_t kp, const int32_t* a, int64_t a_stride, int64_t mr,
                                                const int16_t* panel, int32_t* c, int64_t ldc, int64_t nr,
                                                bool accumulate) {
  __m256i acc[kRows][2];
  for (auto& r : acc) r[0] = r[1] = _mm256_setzero_si256();
  for (int64_t p = 0; p < kp; ++p) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + p * 2 * kPanel));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + p * 2 * kPanel + kPanel));
    for (int64_t r = 0; r < kRows; ++r) {
      if (r >= mr) break;
      const __m256i av = _mm256_set1_epi32(a[r * a_stride + p]);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
    }
  }
  alignas(32) int32_t tmp[2 * 8];
  for (int64_t r = 0; r < mr; ++r) {
    int32_t* crow = c + r * ldc;
    if (nr == kPanel && !accumulate) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(crow), acc[r][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(crow + 8), acc[r][1]);
      continue;
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), acc[r][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), acc[r][1]);
    for (int64_t j = 0; j < nr; ++j) {
      crow[j] =
          accumulate ? static_cast<int32_t>(static_cast<uint32_t>(crow[j]) + static_cast<uint32_t>(tmp[j])) : tmp[j];
    }
  }
}

// Packs columns [n0, n0 + nc) of B (K rows) into ceil(nc / 16) panels of kp pairs.
void pack_b(int64_t K, int64_t n0, int64_t nc, const int16_t* B, int64_t ldb, int16_t* out) {
  const int64_t kp = (K + 1) / 2;
  for (int64_t s = 0; s < nc; s += kPanel) {
    const int64_t nr = std::min(kPanel, nc - s);
    int16_t* panel = out + (s / kPanel) * kp * 2 * kPanel;
    for (int64_t p = 0; p < kp; ++p) {
      const int16_t* b0 = B + (2 * p) * ldb + n0 + s;
      const int16_t* b1 = 2 * p + 1 < K ? b0 + ldb : nullptr;
      int16_t* dst = panel + p * 2 * kPanel;
      for (int64_t j = 0; j < kPanel; ++j) {
        dst[2 * j] = j < nr ? b0[j] : 0;
        dst[2 * j + 1] = j < nr && b1 ? b1[j] : 0;
      }
    }
  }
}

// Per-thread packing buffer for B panels (grows only: no allocation in steady state).
int16_t* b_buffer(size_t elems) {
  thread_local std::vector<int16_t> buf;
  const size_t padded = elems + 16;  // room to align to 32 bytes
  if (buf.size() < padded) buf.resize(padded);
  auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<int16_t*>((p + 31) & ~static_cast<uintptr_t>(31));
}

void run_avx2(int64_t M, int64_t N, int64_t K, const int32_t* ap, const int16_t* B, int64_t ldb, int32_t* C,
              int64_t ldc, bool accumulate, int64_t t0, int64_t t1) {
  const int64_t kp = (K + 1) / 2, col_blocks = (N + kCols - 1) / kCols;
  int16_t* bp = b_buffer(static_cast<size_t>(kp * 2 * kCols));
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t rg = t / col_blocks, cb = t % col_blocks;
    const int64_t n0 = cb * kCols, nc = std::min(kCols, N - n0);
    const int64_t m_end = std::min(M, (rg + 1) * kRowGroup);
    pack_b(K, n0, nc, B, ldb, bp);
    for (int64_t s = 0; s < nc; s += kPanel) {
      const int16_t* panel = bp + (s / kPanel) * kp * 2 * kPanel;
      for (int64_t m0 = rg * kRowGroup; m0 < m_end; m0 += kRows) {
        micro_avx2(kp, ap + m0 * kp, kp, std::min(kRows, m_end - m0), panel, C + m0 * ldc + n0 + s, ldc,
                   std::min(kPanel, nc - s), accumulate);
      }
    }
  }
}
#else
bool has_avx2() { return false; }
void run_avx2(int64_t, int64_t, int64_t, const int32_t*, const int16_t*, int64_t, int32_t*, int64_t, bool, int64_t,
              int64_t) {}
#endif

}  // namespace

void igemm_s16(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
               int32_t* C, int64_t ldc, bool accumulate, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t m = 0; m < M && !accumulate; ++m) std::fill(C + m * ldc, C + m * ldc + N, 0);
    return;
  }
  const int64_t tasks = (M + kRowGroup - 1) / kRowGroup * ((N + kCols - 1) / kCols);
  const double ops = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const bool parallel = pool && pool->size() > 1 && tasks > 1 && ops >= 2.0e5;
  if (has_avx2() && !g_force_generic) {
    // A's rows as k pairs, packed once per call on the calling thread.
    const int64_t kp = (K + 1) / 2;
    thread_local std::vector<int32_t> apack;
    if (apack.size() < static_cast<size_t>(M * kp)) apack.resize(static_cast<size_t>(M * kp));
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t p = 0; p < kp; ++p) {
        const uint32_t lo = static_cast<uint16_t>(A[m * lda + 2 * p]);
        const uint32_t hi = 2 * p + 1 < K ? static_cast<uint16_t>(A[m * lda + 2 * p + 1]) : 0u;
        apack[static_cast<size_t>(m * kp + p)] = static_cast<int32_t>(lo | (hi << 16));
      }
    }
    const int32_t* ap = apack.data();
    auto run = [&](int64_t t0, int64_t t1) { run_avx2(M, N, K, ap, B, ldb, C, ldc, accumulate, t0, t1); };
    parallel ? pool->parallel_for(tasks, run) : run(0, tasks);
    return;
  }
  auto run = [&](int64_t t0, int64_t t1) { run_generic(M, N, K, A, lda, B, ldb, C, ldc, accumulate, t0, t1); };
  parallel ? pool->parallel_for(tasks, run) : run(0, tasks);
}

bool igemm_uses_avx2() { return has_avx2() && !g_force_generic; }
void igemm_force_generic(bool on) { g_force_generic = on; }

}  // namespace edge::rt::linalg
