// Matrix multiply for the kernels (MatMul, Gemm, Conv, ConvTranspose and the optimized
// backends). Row-major: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, where op(X) is X
// or X^T and lda/ldb/ldc are the row strides of the stored (untransposed) matrices.
//
// sgemm is a cache-blocked float32 GEMM; the A operand can be packed once (PackedA, e.g. a
// convolution's weights at session preparation) and reused by sgemm_packed on every run.
// Work is split across `pool` when it is non-null and the product is big enough (pass nullptr
// when already inside a parallel_for). Every element of C is summed in the same order
// whatever the thread count, so results are bit-identical across thread counts. beta == 0
// overwrites C (NaNs in C are not propagated). Steady-state calls do not allocate: packing
// buffers are per-thread and grow only when a larger product is seen.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg {

// op(A) packed into register-tile panels for one micro-kernel shape (chosen for this CPU).
class PackedA {
 public:
  PackedA() = default;
  PackedA(bool trans_a, int64_t M, int64_t K, const float* A, int64_t lda);
  int64_t rows() const { return M_; }
  int64_t depth() const { return K_; }
  bool empty() const { return M_ == 0; }
  // Implementation details, for gemm.cc.
  int64_t mr() const { return mr_; }
  int64_t nr() const;  // columns per B panel of the matching micro-kernel
  int64_t m_pad() const { return m_pad_; }
  const float* data() const { return data_.get(); }

 private:
  int64_t M_ = 0, K_ = 0, mr_ = 0, m_pad_ = 0;
  std::unique_ptr<float[]> data_;
};

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool);

// C[M,N] = alpha * A * op(B) + beta * C with A prepacked (M = a.rows(), K = a.depth()).
void sgemm_packed(const PackedA& a, bool trans_b, int64_t N, float alpha, const float* B, int64_t ldb, float beta,
                  float* C, int64_t ldc, ThreadPool* pool);

// B given in the packed panel layout of `a`'s micro-kernel, so that a producer (im2col) can
// write it directly instead of the GEMM copying it: packed_b_size(a, N) floats, filled row by
// row with pack_b_row (row k of the K x N matrix B).
int64_t packed_b_size(const PackedA& a, int64_t N);
void pack_b_row(const PackedA& a, int64_t N, int64_t k, const float* row, float* packed);
void sgemm_packed_ab(const PackedA& a, const float* packed_b, int64_t N, float alpha, float beta, float* C,
                     int64_t ldc, ThreadPool* pool);

// True when sgemm uses its AVX2+FMA micro-kernel on this CPU.
bool sgemm_uses_avx2();
// Forces the portable micro-kernel (tests compare both on one machine). Not thread-safe:
// call before any GEMM runs.
void sgemm_force_generic(bool on);

// Straightforward GEMM for any arithmetic type (double, integers). Integers wrap around
// (computed modulo 2^64, then narrowed) instead of overflowing.
template <typename T>
void gemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
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

}  // namespace edge::rt::linalg

namespace edge::rt::linalg {

// 2-D convolution geometry for im2col_2d.
struct Conv2dGeom {
  int64_t C, H, W;     // input channels (of one group) and size
  int64_t KH, KW;      // kernel
  int64_t sh, sw, dh, dw, ph, pw;  // strides, dilations, leading pads
  int64_t OH, OW;      // output size

  // Columns [*lo, *hi) of a row of n whose input column base + j * sw lies inside [0, W)
  // (the rest reads padding).
  void inside_columns(int64_t base, int64_t n, int64_t* lo, int64_t* hi) const {
    *lo = std::min(base >= 0 ? 0 : (-base + sw - 1) / sw, n);
    *hi = std::clamp(W - 1 - base < 0 ? 0 : (W - 1 - base) / sw + 1, *lo, n);
  }
};

// The patch matrix of one image, row-major [C*KH*KW, OH*OW] (rows channel-major, then
// kernel positions), with zeros where the window reads padding.
void im2col_2d(const float* x, const Conv2dGeom& g, float* col);
// The same matrix written straight into `a`'s packed-B layout (packed_b_size(a, OH*OW)
// floats), using `row` (OH*OW floats) as a work row.
void im2col_2d_packed(const float* x, const Conv2dGeom& g, const PackedA& a, float* packed, float* row);

}  // namespace edge::rt::linalg
