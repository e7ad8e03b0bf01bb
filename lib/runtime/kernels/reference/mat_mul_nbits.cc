// MatMulNBits (com.microsoft, ONNX Runtime contrib op 1): Y = A x dequantize(B)^T (+ bias).
//   A            float [..., K]
//   B            uint8 [N, k_blocks, blob]: row n holds the codes of column n of the logical
//                [K, N] weight, block_size codes per block, `bits` bits each, packed low-first
//                (ir/packed_bits.h); k_blocks = ceil(K / block_size), blob = block_size * bits / 8
//   scales       float [N * k_blocks] (or [N, k_blocks]): one per block
//   zero_points  optional uint8 [N, ceil(k_blocks * bits / 8)]: per block, packed like B;
//                absent: 2^(bits - 1)
//   g_idx        optional, not supported; bias optional float [N]
//   w[n, k] = (code - zero_point) * scale of block k / block_size
// Attributes K, N, bits (2, 4 or 8; default 4), block_size (a power of 2, >= 16),
// accuracy_level (ignored: this kernel computes in float32).
// Preparation dequantizes the constant weight once to float [N, K] (this reference kernel
// trades the runtime memory saving for clarity); compute is one SGEMM with B transposed.
#include <vector>

#include "ir/packed_bits.h"
#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"

namespace edge::rt {
namespace {

class MatMulNBitsKernel : public OpKernel {
 public:
  explicit MatMulNBitsKernel(const KernelInit& init) {
    const std::string where = init.where();
    k_ = init.attrs.require_int("K");
    n_ = init.attrs.require_int("N");
    const int64_t bits = init.attrs.get_int("bits", 4);
    const int64_t block = init.attrs.require_int("block_size");
    if (k_ <= 0 || n_ <= 0) fail(where + ": K and N must be positive");
    if (bits != 2 && bits != 4 && bits != 8) fail_unsupported(where + ": bits=" + std::to_string(bits));
    if (block < 16 || (block & (block - 1)) != 0) fail(where + ": block_size must be a power of 2 >= 16");
    if (init.node.input_size() > 4 && !init.node.input(4).empty()) fail_unsupported(where + ": g_idx is not supported");
    const Tensor* b = init.constant(1);
    const Tensor* scales = init.constant(2);
    const Tensor* zp = init.node.input_size() > 3 && !init.node.input(3).empty() ? init.constant(3) : nullptr;
    const bool has_zp = init.node.input_size() > 3 && !init.node.input(3).empty();
    if (!b || !scales || (has_zp && !zp)) fail_unsupported(where + ": B, scales and zero_points must be constant");
    const int64_t kb = (k_ + block - 1) / block;
    const int64_t blob = block * bits / 8;
    if (b->dtype() != DType::kUint8 || b->numel() != n_ * kb * blob) {
      fail(where + ": B must be uint8 [" + std::to_string(n_) + ", " + std::to_string(kb) + ", " +
           std::to_string(blob) + "], got " + b->describe());
    }
    if (scales->dtype() != DType::kFloat || scales->numel() != n_ * kb) {
      fail(where + ": scales must be float32 with N * k_blocks = " + std::to_string(n_ * kb) + " values, got " +
           scales->describe());
    }
    const int64_t zp_row = packed_bytes(kb, static_cast<int>(bits));
    if (zp && (zp->dtype() != DType::kUint8 || zp->numel() != n_ * zp_row)) {
      fail_unsupported(where + ": zero_points must be packed uint8 with " + std::to_string(n_ * zp_row) +
                       " values, got " + zp->describe());
    }
    if (init.node.input_size() > 5 && !init.node.input(5).empty()) {
      bias_ = init.constant(5);
      if (!bias_ || bias_->dtype() != DType::kFloat || bias_->numel() != n_) {
        fail_unsupported(where + ": bias must be a constant float32 [N]");
      }
    }
    const int nb = static_cast<int>(bits);
    const int default_zp = 1 << (nb - 1);
    w_.resize(static_cast<size_t>(n_ * k_));
    const uint8_t* codes = b->data<uint8_t>();
    const float* s = scales->data<float>();
    for (int64_t n = 0; n < n_; ++n) {
      for (int64_t k = 0; k < k_; ++k) {
        const int64_t blk = k / block;
        const uint8_t* row = codes + (n * kb + blk) * blob;
        const int z = zp ? packed_code(zp->data<uint8_t>() + n * zp_row, blk, nb) : default_zp;
        const int q = packed_code(row, k % block, nb);
        w_[static_cast<size_t>(n * k_ + k)] = static_cast<float>(q - z) * s[n * kb + blk];
      }
    }
  }

  std::string algorithm() const override { return "dequantize-at-prepare+sgemm"; }

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    if (a.dtype() != DType::kFloat) fail_unsupported(ctx.where() + ": A must be float32, got " + a.describe());
    if (a.rank() < 1 || a.dim(-1) != k_) {
      fail(ctx.where() + ": A " + a.describe() + " must end in K = " + std::to_string(k_));
    }
    Shape out = a.shape();
    out.back() = n_;
    Tensor& y = ctx.alloc_output(0, DType::kFloat, out);
    const int64_t m = a.numel() / k_;
    if (m == 0) return;
    linalg::sgemm(false, true, m, n_, k_, 1.f, a.data<float>(), k_, w_.data(), k_, 0.f, y.data<float>(), n_, ctx.pool);
    if (bias_) {
      float* py = y.data<float>();
      const float* pb = bias_->data<float>();
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t c = 0; c < n_; ++c) py[r * n_ + c] += pb[c];
      }
    }
  }

 private:
  int64_t k_ = 0, n_ = 0;
  std::vector<float> w_;  // [N, K]
  const Tensor* bias_ = nullptr;
};

}  // namespace

void register_MatMulNBits(KernelRegistry& r) {
  r.add({"com.microsoft", "MatMulNBits", 1, kOpsetMax, {DType::kFloat}, factory_of<MatMulNBitsKernel>()});
}

}  // namespace edge::rt
