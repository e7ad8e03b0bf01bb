// Integer matrix multiply for the quantized kernels (QLinearConv, ConvInteger, QLinearMatMul,
// MatMulInteger and the QDQ fusions' integer ops).
//
// Operands are 8-bit values with their zero point already subtracted, held as int16
// (|v| <= 255, see widen_sub): C[M,N] (int32) = A[M,K] * B[K,N], every product exact and
// the sums accumulated in 32 bits (wrapping modulo 2^32 past the int32 range, as the ONNX
// integer ops allow, never undefined behaviour). Row-major with row strides lda/ldb/ldc.
// Integer sums do not depend on their order, so results are identical for any thread count.
// Two implementations, chosen at run time: an AVX2 kernel that multiplies and adds pairs of k
// at once (vpmaddwd, 4 rows x 16 columns of C in registers; A packed per call, B packed per
// column block into per-thread buffers that only grow) and a portable register-blocked loop
// (4 rows of A against 256 columns of B) that compilers vectorize. No steady-state allocation.
#pragma once

#include <cstdint>

#include "runtime/linalg/gemm.h"

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg {

// C = A * B, or C += A * B when `accumulate` (C holds e.g. a bias). Splits the columns of C
// across `pool` when it is non-null and the product is big enough (pass nullptr when already
// inside a parallel_for).
void igemm_s16(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
               int32_t* C, int64_t ldc, bool accumulate, ThreadPool* pool);

// True when igemm_s16 uses its AVX2 kernel (vpmaddwd over pairs of k) on this CPU.
bool igemm_uses_avx2();
// Forces the portable loop (tests compare both on one machine). Not thread-safe: call before
// any integer GEMM runs.
void igemm_force_generic(bool on);

// dst[i] = src[i] - zero_point for 8-bit src (uint8_t or int8_t), the operand form of igemm_s16.
template <typename T>
void widen_sub(const T* src, int64_t n, int32_t zero_point, int16_t* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(static_cast<int32_t>(src[i]) - zero_point);
}

// The same with one zero point per row of a rows x cols matrix (row r uses zero_points[r]).
template <typename T>
void widen_sub_rows(const T* src, int64_t rows, int64_t cols, const int32_t* zero_points, int16_t* dst) {
  for (int64_t r = 0; r < rows; ++r) widen_sub(src + r * cols, cols, zero_points[r], dst + r * cols);
}

// The 2-D patch matrix (as im2col_2d, gemm.h) of an 8-bit image (uint8_t or int8_t) in
// igemm_s16's operand form: x - zero_point, and 0 (a real 0) where the window reads padding.
template <typename T>
void im2col_2d_s16(const T* x, int32_t zero_point, const Conv2dGeom& g, int16_t* col);

}  // namespace edge::rt::linalg
