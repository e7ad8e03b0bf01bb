// Atanh: Y = inverse hyperbolic tangent of X, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::atanh(x); });
}
}  // namespace

void register_Atanh(KernelRegistry& r) {
  r.add({"", "Atanh", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
