// Acos: Y = arccos(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::acos(x); });
}
}  // namespace

void register_Acos(KernelRegistry& r) {
  r.add({"", "Acos", 7, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
