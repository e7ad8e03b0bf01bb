// Shared matrix-multiply routines of the nn kernels (MatMul, Gemm, Conv, ConvTranspose).
// nn_sgemm is a cache-blocked float32 GEMM; nn_gemm_ref is a plain loop for other types.
// Both are row-major: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, where op(X) is
// X or X^T, and lda/ldb/ldc are the row strides of the stored (untransposed) matrices.
#pragma once

#include <cstdint>
#include <type_traits>

#include "runtime/kernel.h"

namespace edge::rt {

// float32 GEMM. Work is split across ctx's thread pool when ctx is non-null (pass nullptr
// when already inside a parallel_for). Every element of C is summed in the same order
// whatever the thread count, so results are bit-identical across thread counts.
// beta == 0 overwrites C (NaNs in C are not propagated).
void nn_sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
              const KernelContext* ctx);

// Straightforward GEMM for any arithmetic type (double, integers). Integers wrap around
// (computed modulo 2^64, then narrowed) instead of overflowing.
template <typename T>
void nn_gemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  using U = std::conditional_t<std::is_integral_v<T>, uint64_t, T>;
  const U ua = static_cast<U>(alpha), ub = static_cast<U>(beta);
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : static_cast<T>(ub * static_cast<U>(c[j]));
    for (int64_t k = 0; k < K; ++k) {
      const U a = ua * static_cast<U>(trans_a ? A[k * lda + i] : A[i * lda + k]);
      if (trans_b) {
        for (int64_t j = 0; j < N; ++j) c[j] = static_cast<T>(static_cast<U>(c[j]) + a * static_cast<U>(B[j * ldb + k]));
      } else {
        const T* b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) c[j] = static_cast<T>(static_cast<U>(c[j]) + a * static_cast<U>(b[j]));
      }
    }
  }
}

}  // namespace edge::rt
