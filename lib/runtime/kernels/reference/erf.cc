// Erf: Y = erf(X), the Gauss error function, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::erf(x); });
}
}  // namespace

void register_Erf(KernelRegistry& r) {
  r.add({"", "Erf", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
