// Sinh: Y = sinh(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::sinh(x); });
}
}  // namespace

void register_Sinh(KernelRegistry& r) {
  r.add({"", "Sinh", 9, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
