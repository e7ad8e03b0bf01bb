// Sin: Y = sin(X) element-wise (radians).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::sin(x); });
}
}  // namespace

void register_Sin(KernelRegistry& r) {
  r.add({"", "Sin", 7, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
