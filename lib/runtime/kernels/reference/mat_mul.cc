// MatMul: numpy.matmul semantics. 1-D operands are promoted to a row (A) or a column (B)
// vector and the added dim is dropped from the result; leading (batch) dims broadcast.
#include <algorithm>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/broadcast.h"
#include "runtime/linalg/gemm.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

template <typename T>
void run(KernelContext& ctx, const Tensor& a, const Tensor& b, int64_t M, int64_t N, int64_t K, const Shape& batch,
         const Shape& sa, const Shape& sb, Tensor& y) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  const int64_t nbatch = shape_numel(batch);
  const int rank = static_cast<int>(batch.size());
  auto offsets = [&](int64_t bi, int64_t* oa, int64_t* ob) {
    *oa = 0;
    *ob = 0;
    for (int d = rank - 1; d >= 0; --d) {
      int64_t idx = bi % batch[static_cast<size_t>(d)];
      bi /= batch[static_cast<size_t>(d)];
      *oa += idx * sa[static_cast<size_t>(d)];
      *ob += idx * sb[static_cast<size_t>(d)];
    }
  };
  auto one = [&](int64_t bi, const KernelContext* c) {
    int64_t oa, ob;
    offsets(bi, &oa, &ob);
    const T* A = pa + oa * M * K;
    const T* B = pb + ob * K * N;
    T* C = py + bi * M * N;
    if constexpr (std::is_same_v<T, float>) {
      linalg::sgemm(false, false, M, N, K, 1.f, A, K, B, N, 0.f, C, N, c ? c->pool : nullptr);
    } else {
      linalg::gemm_ref<T>(false, false, M, N, K, T(1), A, K, B, N, T(0), C, N);
    }
  };
  const double flops = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (nbatch > 1 && flops < 4.0e6) {
    nn_parallel_for(ctx, nbatch, static_cast<int64_t>(flops), [&](int64_t s, int64_t e) {
      for (int64_t bi = s; bi < e; ++bi) one(bi, nullptr);
    });
  } else {
    for (int64_t bi = 0; bi < nbatch; ++bi) one(bi, &ctx);
  }
}

void compute(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (nn_is_f16(a)) {
    nn_run_f16_as_f32(ctx, compute);
    return;
  }
  if (a.dtype() != b.dtype()) {
    fail(ctx.where() + ": input types differ (" + dtype_name(a.dtype()) + " vs " + dtype_name(b.dtype()) + ")");
  }
  if (a.rank() == 0 || b.rank() == 0) fail(ctx.where() + ": MatMul inputs must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K) {
    fail(ctx.where() + ": inner dimensions differ (" + a.describe() + " x " + b.describe() + ")");
  }
  Shape ba(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  Shape batch = broadcast_shapes({ba, bb}, ctx.where());
  auto sa = broadcast_strides(ba, batch), sb = broadcast_strides(bb, batch);
  Shape out = batch;
  if (!a1) out.push_back(M);
  if (!b1) out.push_back(N);
  Tensor& y = ctx.alloc_output(0, a.dtype(), out);
  if (y.numel() == 0) return;
  bool ok = false;
  switch (a.dtype()) {
    case DType::kFloat: run<float>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    case DType::kDouble: run<double>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    case DType::kInt32: run<int32_t>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    case DType::kInt64: run<int64_t>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    case DType::kUint32: run<uint32_t>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    case DType::kUint64: run<uint64_t>(ctx, a, b, M, N, K, batch, sa, sb, y); ok = true; break;
    default: break;
  }
  if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(a.dtype()) + " is not supported");
}

}  // namespace

void register_MatMul(KernelRegistry& r) {
  r.add({"",
         "MatMul",
         1,
         kOpsetMax,
         {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt32, DType::kInt64, DType::kUint32,
          DType::kUint64},
         function_kernel(compute)});
}

}  // namespace edge::rt
