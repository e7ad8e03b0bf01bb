// cpu backend: Gemm and MatMul with a constant, mostly zero B (a pruned fully connected layer).
//
// At preparation B is stored per output column as its nonzero rows only (CSR over the columns:
// row index and value), so every output is a dot product over the column's nonzeros. Chosen
// from 85 % zeros on, where one row of A (batch 1) ran faster than the dense GEMM on single
// layers (docs/performance.md); a run with several rows of A uses the sparse columns only from
// 95 % zeros and otherwise the dense GEMM on B as stored (the constant stays in the session,
// nothing is copied). Each output sums its
// terms in four interleaved partial sums (t mod 4), added at the end in a fixed order, so the
// result does not depend on the thread count; it differs from the dense GEMM's rounding. Gemm:
// transA = 0, any transB, alpha, and a constant C broadcast over [M, N] (beta). MatMul: A of any
// rank >= 1 times a 2-D B.
#include <algorithm>
#include <string>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/conv2d_direct.h"
#include "runtime/linalg/gemm.h"
#include "runtime/thread_pool.h"

namespace edge::rt {
namespace {

constexpr double kSparseGemmFrom = 0.85;       // zeros from which the kernel is chosen
constexpr double kSparseGemmBatchFrom = 0.95;  // ... and from which it stays sparse for M > 1

// The constant B (2-D float) of a Gemm (input 1) or MatMul, or nullptr.
const Tensor* constant_b(const KernelInit& init) {
  const Tensor* b = init.constant(1);
  return b && b->dtype() == DType::kFloat && b->rank() == 2 ? b : nullptr;
}

bool sparse_gemm_accepts(const KernelInit& init) {
  const DType a = init.input_type(0).dtype;
  if (a != DType::kFloat && a != DType::kUndefined) return false;
  const Tensor* b = constant_b(init);
  if (!b || linalg::zero_share(b->data<float>(), b->numel()) < kSparseGemmFrom) return false;
  if (init.node.op_type() == "MatMul") return true;
  if (init.attrs.get_int("transA", 0) != 0) return false;
  if (init.has_input(2)) {  // C: constant float, rank <= 2
    const Tensor* c = init.constant(2);
    if (!c || c->dtype() != DType::kFloat || c->rank() > 2) return false;
  }
  return true;
}

class CpuSparseGemmKernel : public OpKernel {
 public:
  explicit CpuSparseGemmKernel(const KernelInit& init)
      : matmul_(init.node.op_type() == "MatMul"),
        alpha_(matmul_ ? 1.f : init.attrs.get_float("alpha", 1.f)),
        beta_(matmul_ ? 0.f : init.attrs.get_float("beta", 1.f)) {
    const Tensor& b = *constant_b(init);
    tb_ = !matmul_ && init.attrs.get_int("transB", 0) != 0;
    const bool tb = tb_;
    K_ = tb ? b.dim(1) : b.dim(0);
    N_ = tb ? b.dim(0) : b.dim(1);
    zeros_ = linalg::zero_share(b.data<float>(), b.numel());
    const float* pb = b.data<float>();
    col_start_.assign(1, 0);
    for (int64_t n = 0; n < N_; ++n) {
      for (int64_t k = 0; k < K_; ++k) {
        const float v = tb ? pb[n * K_ + k] : pb[k * N_ + n];
        if (v == 0.f) continue;
        row_.push_back(static_cast<int32_t>(k));
        val_.push_back(v);
      }
      col_start_.push_back(static_cast<int64_t>(val_.size()));
    }
    if (!matmul_ && init.has_input(2)) {
      const Tensor& c = *init.constant(2);
      cm_ = c.rank() == 2 ? c.dim(0) : 1;
      cn_ = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
      c_.assign(c.data<float>(), c.data<float>() + c.numel());
    }
  }

  std::string algorithm() const override {
    return "gemm-sparse-csr(" + std::to_string(static_cast<int>(zeros_ * 100.0 + 0.5)) + "%" +
           (zeros_ < kSparseGemmBatchFrom ? ", dense when M > 1)" : ")");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    if (a.dtype() != DType::kFloat || a.rank() < 1 || (!matmul_ && a.rank() != 2)) {
      fail(ctx.where() + ": A must be float32" + (matmul_ ? "" : " and 2-D") + ", got " + a.describe());
    }
    if (a.dim(a.rank() - 1) != K_) {
      fail(ctx.where() + ": inner dimensions differ (A " + a.describe() + ", B has " + std::to_string(K_) + " rows)");
    }
    const int64_t M = K_ ? a.numel() / K_ : 0;
    Shape out(a.shape().begin(), a.shape().end() - 1);
    out.push_back(N_);
    if (!c_.empty() && ((cm_ != 1 && cm_ != M) || (cn_ != 1 && cn_ != N_))) {
      fail(ctx.where() + ": C cannot be broadcast to " + shape_str({M, N_}));
    }
    Tensor& y = ctx.alloc_output(0, DType::kFloat, out);
    if (y.numel() == 0) return;
    const float* pa = a.data<float>();
    float* py = y.data<float>();
    if (M > 1 && zeros_ < kSparseGemmBatchFrom) {
      run_dense(ctx, pa, py, M);
      return;
    }
    auto body = [&](int64_t n0, int64_t n1) {
      for (int64_t m = 0; m < M; ++m) {
        const float* x = pa + m * K_;
        for (int64_t n = n0; n < n1; ++n) {
          const int64_t t1 = col_start_[static_cast<size_t>(n + 1)];
          int64_t t = col_start_[static_cast<size_t>(n)];
          float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
          for (; t + 4 <= t1; t += 4) {
            s0 += val_[static_cast<size_t>(t)] * x[row_[static_cast<size_t>(t)]];
            s1 += val_[static_cast<size_t>(t + 1)] * x[row_[static_cast<size_t>(t + 1)]];
            s2 += val_[static_cast<size_t>(t + 2)] * x[row_[static_cast<size_t>(t + 2)]];
            s3 += val_[static_cast<size_t>(t + 3)] * x[row_[static_cast<size_t>(t + 3)]];
          }
          if (t < t1) s0 += val_[static_cast<size_t>(t)] * x[row_[static_cast<size_t>(t)]];
          if (t + 1 < t1) s1 += val_[static_cast<size_t>(t + 1)] * x[row_[static_cast<size_t>(t + 1)]];
          if (t + 2 < t1) s2 += val_[static_cast<size_t>(t + 2)] * x[row_[static_cast<size_t>(t + 2)]];
          float v = alpha_ * ((s0 + s1) + (s2 + s3));
          if (!c_.empty()) v += beta_ * c_[static_cast<size_t>((cm_ == 1 ? 0 : m) * cn_ + (cn_ == 1 ? 0 : n))];
          py[m * N_ + n] = v;
        }
      }
    };
    parallel_for_if(ctx.pool, static_cast<double>(M) * static_cast<double>(val_.size()), N_, body);
  }

 private:
  // Y = alpha * A * B (+ beta * C) with the dense GEMM on B as the session holds it.
  void run_dense(KernelContext& ctx, const float* pa, float* py, int64_t M) const {
    const Tensor& b = ctx.input(1);
    for (int64_t m = 0; m < M && !c_.empty(); ++m) {
      for (int64_t n = 0; n < N_; ++n) {
        py[m * N_ + n] = c_[static_cast<size_t>((cm_ == 1 ? 0 : m) * cn_ + (cn_ == 1 ? 0 : n))];
      }
    }
    linalg::sgemm(false, tb_, M, N_, K_, alpha_, pa, K_, b.data<float>(), b.dim(1), c_.empty() ? 0.f : beta_, py,
                  N_, ctx.pool);
  }

  bool matmul_;
  bool tb_ = false;
  float alpha_, beta_;
  int64_t K_ = 0, N_ = 0, cm_ = 1, cn_ = 1;
  double zeros_ = 0.0;
  std::vector<int64_t> col_start_;  // column n's nonzeros are [col_start_[n], col_start_[n + 1])
  std::vector<int32_t> row_;        // their rows of B (the index into a row of A)
  std::vector<float> val_;          // their values
  std::vector<float> c_;            // Gemm's C, [cm_, cn_]
};

}  // namespace

void register_cpu_SparseGemm(KernelRegistry& r) {
  // Gemm from opset 7 (before it, C had its own `broadcast` rule).
  r.add({"", "Gemm", 7, kOpsetMax, {DType::kFloat}, factory_of<CpuSparseGemmKernel>(), "cpu", 10, 0,
         sparse_gemm_accepts});
  r.add({"", "MatMul", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuSparseGemmKernel>(), "cpu", 10, 0,
         sparse_gemm_accepts});
}

}  // namespace edge::rt
