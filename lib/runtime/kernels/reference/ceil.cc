// Ceil: Y = smallest integer >= X, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::ceil(x); });
}
}  // namespace

void register_Ceil(KernelRegistry& r) {
  r.add({"", "Ceil", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
