// Atan: Y = arctan(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::atan(x); });
}
}  // namespace

void register_Atan(KernelRegistry& r) {
  r.add({"", "Atan", 7, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
