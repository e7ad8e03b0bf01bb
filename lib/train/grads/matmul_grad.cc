// Backward of MatMul (numpy.matmul, as runtime/kernels/reference/mat_mul.cc runs it): a 1-D A
// is a row [1, K], a 1-D B a column [K, 1] (the dropped dims do not change the memory layout
// of Y or of the gradients); batch dims broadcast. For each batch index b with operand
// batches a(b), b(b):
//   dA[a(b)] += dY[b] * B[b(b)]^T      dB[b(b)] += A[a(b)]^T * dY[b]
// so a broadcast operand sums the gradients of every batch it was used in. When one operand
// has no batch of its own (a weight [K, N] under activations [..., M, K]), the batch folds
// into the rows and each gradient is one GEMM.
#include <string>

#include "ir/status.h"
#include "runtime/kernels/reference/broadcast.h"
#include "runtime/linalg/gemm.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

using rt::linalg::sgemm;

void matmul_grad(GradContext& ctx) {
  const Tensor a = as_float(ctx.input(0));
  const Tensor b = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  if (a.rank() == 0 || b.rank() == 0) fail(ctx.where() + ": MatMul inputs must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K) fail(ctx.where() + ": inner dimensions differ (" + a.describe() + " x " + b.describe() + ")");
  const Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const Shape batch = rt::broadcast_shapes({ba, bb}, ctx.where());
  const int64_t nbatch = shape_numel(batch);
  if (dy.numel() != nbatch * M * N) {
    fail_internal(ctx.where() + ": output gradient " + dy.describe() + " does not match the product");
  }
  const bool want_a = ctx.wants_grad(0), want_b = ctx.wants_grad(1);
  float* da = want_a ? ctx.grad(0).data<float>() : nullptr;
  float* db = want_b ? ctx.grad(1).data<float>() : nullptr;
  if (nbatch == 0 || M == 0 || N == 0 || K == 0) return;  // gradients stay zero
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  const float* g = dy.data<float>();
  // B shared by every batch, A not broadcast: rows of all batches form one [nbatch*M, K] matrix.
  if (shape_numel(bb) == 1 && shape_numel(ba) == nbatch) {
    const int64_t rows = nbatch * M;
    if (want_a) sgemm(false, true, rows, K, N, 1.f, g, N, pb, N, 0.f, da, K, nullptr);
    if (want_b) sgemm(true, false, K, N, rows, 1.f, pa, K, g, N, 0.f, db, N, nullptr);
    return;
  }
  const Shape sa = rt::broadcast_strides(ba, batch), sb = rt::broadcast_strides(bb, batch);
  const int rank = static_cast<int>(batch.size());
  for (int64_t bi = 0; bi < nbatch; ++bi) {
    int64_t oa = 0, ob = 0, rest = bi;
    for (int d = rank - 1; d >= 0; --d) {
      const size_t ud = static_cast<size_t>(d);
      const int64_t idx = rest % batch[ud];
      rest /= batch[ud];
      oa += idx * sa[ud];
      ob += idx * sb[ud];
    }
    const float* gb = g + bi * M * N;
    // dA[M, K] += dY[M, N] * B^T;  dB[K, N] += A^T * dY
    if (want_a) sgemm(false, true, M, K, N, 1.f, gb, N, pb + ob * K * N, N, 1.f, da + oa * M * K, K, nullptr);
    if (want_b) sgemm(true, false, K, N, M, 1.f, pa + oa * M * K, K, gb, N, 1.f, db + ob * K * N, N, nullptr);
  }
}

}  // namespace

void register_matmul_grads(GradRegistry& r) {
  r.add({"", "MatMul", matmul_grad, {}, false});
}

}  // namespace edge::train
