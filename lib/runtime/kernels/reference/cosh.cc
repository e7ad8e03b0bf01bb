// Cosh: Y = cosh(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::cosh(x); });
}
}  // namespace

void register_Cosh(KernelRegistry& r) {
  r.add({"", "Cosh", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
