// Not: Y = logical negation of the bool tensor X.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ew_check_type(ctx, x.dtype(), {DType::kBool});
  Tensor& y = ctx.alloc_output(0, DType::kBool, x.shape());
  const bool* px = x.data<bool>();
  bool* py = y.data<bool>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) py[i] = !px[i];
}
}  // namespace

void register_Not(KernelRegistry& r) {
  r.add({"", "Not", 1, kOpsetMax, {DType::kBool}, function_kernel(compute)});
}

}  // namespace edge::rt
