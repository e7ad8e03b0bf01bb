// Acosh: Y = inverse hyperbolic cosine of X, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::acosh(x); });
}
}  // namespace

void register_Acosh(KernelRegistry& r) {
  r.add({"", "Acosh", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
