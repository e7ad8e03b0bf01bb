// Backward of Gemm: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose.
#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// C[m x n] += sum_k A(m,k) * B(k,n), with A and B read through strides so that transposed
// operands need no copy.
void matmul_acc(const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t b_rs, int64_t b_cs, float* c,
                int64_t m, int64_t n, int64_t k, float scale) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t p = 0; p < k; ++p) {
      const float av = a[i * a_rs + p * a_cs] * scale;
      if (av == 0.f) continue;
      const float* brow = b + p * b_rs;
      float* crow = c + i * n;
      for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * b_cs];
    }
  }
}

void gemm_grad(GradContext& ctx) {
  const float alpha = ctx.attrs->get_float("alpha", 1.f);
  const float beta = ctx.attrs->get_float("beta", 1.f);
  const bool ta = ctx.attrs->get_int("transA", 0) != 0;
  const bool tb = ctx.attrs->get_int("transB", 0) != 0;
  const Tensor a = as_float(ctx.input(0));
  const Tensor b = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  if (a.rank() != 2 || b.rank() != 2 || dy.rank() != 2) fail(ctx.where() + ": Gemm backward needs 2-D operands");
  const int64_t m = dy.dim(0), n = dy.dim(1);
  const int64_t k = ta ? a.dim(0) : a.dim(1);
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  const float* g = dy.data<float>();
  // op(A)(i,p) = ta ? A[p,i] : A[i,p]; op(B)(p,j) = tb ? B[j,p] : B[p,j].
  if (ctx.wants_grad(0)) {
    // d op(A) = dY * op(B)^T  (m x k); dA is its transpose when ta.
    Tensor& da = ctx.grad(0);
    float* dap = da.data<float>();
    if (!ta) {
      // dA[i,p] = sum_j dY[i,j] * op(B)(p,j)
      matmul_acc(g, n, 1, bp, tb ? k : 1, tb ? 1 : n, dap, m, k, n, alpha);
    } else {
      // dA[p,i] = sum_j op(B)(p,j) * dY[i,j]
      matmul_acc(bp, tb ? 1 : n, tb ? k : 1, g, 1, n, dap, k, m, n, alpha);
    }
  }
  if (ctx.wants_grad(1)) {
    // d op(B) = op(A)^T * dY (k x n); dB is its transpose when tb.
    Tensor& db = ctx.grad(1);
    float* dbp = db.data<float>();
    if (!tb) {
      // dB[p,j] = sum_i op(A)(i,p) * dY[i,j]
      matmul_acc(ap, ta ? m : 1, ta ? 1 : k, g, n, 1, dbp, k, n, m, alpha);
    } else {
      // dB[j,p] = sum_i dY[i,j] * op(A)(i,p)
      matmul_acc(g, 1, n, ap, ta ? 1 : k, ta ? m : 1, dbp, n, k, m, alpha);
    }
  }
  if (ctx.wants_grad(2)) {
    Tensor scaled = reduce_to_shape(dy, ctx.input(2).shape()).clone();
    float* s = scaled.data<float>();
    for (int64_t i = 0; i < scaled.numel(); ++i) s[i] *= beta;
    ctx.set_grad(2, std::move(scaled));
  }
}

}  // namespace

void register_gemm_grads(GradRegistry& r) {
  r.add({"", "Gemm", gemm_grad, {}, false});
}

}  // namespace edge::train
