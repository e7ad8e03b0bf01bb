// Backward of Gemm: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose. The two
// products run on the runtime's blocked sgemm, reading transposed operands in place (no copies).
#include "ir/status.h"
#include "runtime/linalg/gemm.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

using rt::linalg::sgemm;

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
  // Stored shapes: A is [m, k] ([k, m] when ta), B is [k, n] ([n, k] when tb); lda/ldb are
  // their row lengths. d op(A) = alpha * dY * op(B)^T, d op(B) = alpha * op(A)^T * dY.
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  if (ctx.wants_grad(0)) {
    float* da = ctx.grad(0).data<float>();
    if (!ta) {
      sgemm(false, !tb, m, k, n, alpha, g, n, bp, ldb, 0.f, da, k, nullptr);  // dA = dY * op(B)^T
    } else {
      sgemm(tb, true, k, m, n, alpha, bp, ldb, g, n, 0.f, da, m, nullptr);  // dA = op(B) * dY^T
    }
  }
  if (ctx.wants_grad(1)) {
    float* db = ctx.grad(1).data<float>();
    if (!tb) {
      sgemm(!ta, false, k, n, m, alpha, ap, lda, g, n, 0.f, db, n, nullptr);  // dB = op(A)^T * dY
    } else {
      sgemm(true, ta, n, k, m, alpha, g, n, ap, lda, 0.f, db, k, nullptr);  // dB = dY^T * op(A)
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
