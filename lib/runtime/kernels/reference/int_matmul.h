// The integer matrix product shared by MatMulInteger, QLinearMatMul and the QDQ fusion's
// QLinearMatMul form (MatMul/Gemm with bias):
//   acc[..., m, n] = sum_k (A[..., m, k] - a_zp[..., m]) * (B[..., k, n] - b_zp[..., n])
// with numpy.matmul semantics (1-D operands promoted, batch dims broadcast), 8-bit A and B
// of either signedness and int32 accumulation (linalg::igemm_s16). Row/column parameters
// (zero points here, scales for the callers) are per tensor or per row of A / per column of
// B: a 1-D tensor of M (A) or N (B) values, or an N-d tensor that broadcasts to [..., M, 1]
// (A) or [..., 1, N] (B), as the ONNX spec of MatMulInteger describes. B, when constant with
// its zero point, is widened once at preparation (transposed there for trans_b).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernel.h"

namespace edge::rt {

class IntMatMulCore {
 public:
  // Input indices of A, its zero point, B and its zero point (-1 when the op has none).
  // trans_b: B is stored [N, K] (2-D only), as Gemm's transB=1.
  IntMatMulCore(const KernelInit& init, int b_input, int b_zp_input, bool trans_b);

  // Checks shapes and types, widens A (and B unless widened at preparation) and returns the
  // output shape. Call once per run before run().
  Shape begin_run(const KernelContext& ctx, const Tensor& a, const Tensor* a_zp, const Tensor& b, const Tensor* b_zp);
  // acc (output-shaped, int32) = the product.
  void run(const KernelContext& ctx, int32_t* acc) const;

  int64_t M() const { return M_; }
  int64_t N() const { return N_; }
  int64_t batches() const { return nbatch_; }
  // Index of the A (B) matrix that output batch i reads.
  int64_t a_batch(int64_t i) const;
  int64_t b_batch(int64_t i) const;
  // Expands a row parameter of A (per tensor / per row) to one value per (A batch, row),
  // and a column parameter of B to one per (B batch, column). nullptr gives `def`.
  void rows_of_a(const std::string& where, const Tensor* p, double def, const char* what,
                 std::vector<double>& out) const;
  void cols_of_b(const std::string& where, const Tensor* p, double def, const char* what,
                 std::vector<double>& out) const;
  const Shape& b_shape() const { return b_shape_; }  // promoted to 2-D, [.., K, N]

 private:
  void widen_b(const std::string& where, const Tensor& b, const Tensor* b_zp);

  bool trans_b_ = false, b_const_ = false;
  Shape a_shape_, b_shape_;  // promoted to >= 2-D; b_shape_ as [.., K, N]
  Shape batch_, a_strides_, b_strides_;
  int64_t M_ = 0, N_ = 0, K_ = 0, nbatch_ = 0;
  std::vector<int16_t> a16_, b16_;  // widened operands (b16_ as [.., K, N])
  std::vector<double> zp_;          // work vector
};

}  // namespace edge::rt
