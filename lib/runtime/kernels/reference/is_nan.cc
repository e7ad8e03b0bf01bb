// IsNaN: Y[i] = true where X[i] is NaN (float types), as a bool tensor.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ew_check_type(ctx, x.dtype(), float_types());
  Tensor& y = ctx.alloc_output(0, DType::kBool, x.shape());
  bool* py = y.data<bool>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) py[i] = std::isnan(x.get_double(i));
}
}  // namespace

void register_IsNaN(KernelRegistry& r) {
  r.add({"", "IsNaN", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
