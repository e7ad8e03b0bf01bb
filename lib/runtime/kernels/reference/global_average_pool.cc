// GlobalAveragePool: mean over all spatial dims of each (n, c) plane; output [N, C, 1, ...].
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

template <typename T>
void run(KernelContext& ctx, const Tensor& x, Tensor& y) {
  const int64_t planes = x.dim(0) * x.dim(1), sp = planes == 0 ? 0 : x.numel() / planes;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  nn_parallel_for(ctx, planes, sp, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      T sum = 0;
      for (int64_t i = 0; i < sp; ++i) sum += px[p * sp + i];
      py[p] = sp > 0 ? sum / static_cast<T>(sp) : T(0);
    }
  });
}

void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (nn_is_f16(x)) {
    nn_run_f16_as_f32(ctx, compute);
    return;
  }
  nn_require_float(ctx, x);
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  Shape out(x.shape().size(), 1);
  out[0] = x.dim(0);
  out[1] = x.dim(1);
  Tensor& y = ctx.alloc_output(0, x.dtype(), out);
  if (x.dtype() == DType::kFloat) {
    run<float>(ctx, x, y);
  } else {
    run<double>(ctx, x, y);
  }
}

}  // namespace

void register_GlobalAveragePool(KernelRegistry& r) {
  r.add({"", "GlobalAveragePool", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
