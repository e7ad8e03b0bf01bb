#include "runtime/linalg/igemm.h"

#include <algorithm>

#include "runtime/thread_pool.h"

namespace edge::rt::linalg {

namespace {

constexpr int64_t kRows = 4;       // rows of A per register block
constexpr int64_t kCols = 256;     // columns of B per block (4 x 256 x 4 bytes of sums: L1)
constexpr int64_t kRowGroup = 16;  // rows per parallel task

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
    uint32_t* s0 = s[0];
    uint32_t* s1 = s[1];
    uint32_t* s2 = s[2];
    uint32_t* s3 = s[3];
    for (int64_t k = 0; k < K; ++k) {
      const int32_t a0 = a0p[k], a1 = a1p[k], a2 = a2p[k], a3 = a3p[k];
      if ((a0 | a1 | a2 | a3) == 0) continue;  // pruned weights cost nothing
      const int16_t* b = B + k * ldb + n0;
      for (int64_t j = 0; j < nc; ++j) {
        const int32_t bj = b[j];
        s0[j] += static_cast<uint32_t>(a0 * bj);
        s1[j] += static_cast<uint32_t>(a1 * bj);
        s2[j] += static_cast<uint32_t>(a2 * bj);
        s3[j] += static_cast<uint32_t>(a3 * bj);
      }
    }
  } else {
    for (int64_t r = 0; r < mr; ++r) {
      const int16_t* ap = A + (m0 + r) * lda;
      uint32_t* sr = s[r];
      for (int64_t k = 0; k < K; ++k) {
        const int32_t a = ap[k];
        if (a == 0) continue;
        const int16_t* b = B + k * ldb + n0;
        for (int64_t j = 0; j < nc; ++j) sr[j] += static_cast<uint32_t>(a * static_cast<int32_t>(b[j]));
      }
    }
  }
  for (int64_t r = 0; r < mr; ++r) {
    int32_t* c = C + (m0 + r) * ldc + n0;
    for (int64_t j = 0; j < nc; ++j) c[j] = static_cast<int32_t>(s[r][j]);
  }
}

}  // namespace

void igemm_s16(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
               int32_t* C, int64_t ldc, bool accumulate, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  const int64_t row_groups = (M + kRowGroup - 1) / kRowGroup;
  const int64_t col_blocks = (N + kCols - 1) / kCols;
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t rg = t / col_blocks, cb = t % col_blocks;
      const int64_t n0 = cb * kCols, nc = std::min(kCols, N - n0);
      const int64_t m_end = std::min(M, (rg + 1) * kRowGroup);
      for (int64_t m0 = rg * kRowGroup; m0 < m_end; m0 += kRows) {
        block(m0, std::min(kRows, m_end - m0), n0, nc, K, A, lda, B, ldb, C, ldc, accumulate);
      }
    }
  };
  const int64_t tasks = row_groups * col_blocks;
  const double ops = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (pool && pool->size() > 1 && tasks > 1 && ops >= 2.0e5) {
    pool->parallel_for(tasks, run);
  } else {
    run(0, tasks);
  }
}

}  // namespace edge::rt::linalg
