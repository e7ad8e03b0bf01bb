// Reciprocal: Y = 1 / X element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return decltype(x)(1) / x; });
}
}  // namespace

void register_Reciprocal(KernelRegistry& r) {
  r.add({"", "Reciprocal", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
