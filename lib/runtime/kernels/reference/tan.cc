// Tan: Y = tan(X) element-wise (radians).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::tan(x); });
}
}  // namespace

void register_Tan(KernelRegistry& r) {
  r.add({"", "Tan", 7, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
