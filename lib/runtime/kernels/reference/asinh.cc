// Asinh: Y = inverse hyperbolic sine of X, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::asinh(x); });
}
}  // namespace

void register_Asinh(KernelRegistry& r) {
  r.add({"", "Asinh", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
