// Exp: Y = e^X element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::exp(x); });
}
}  // namespace

void register_Exp(KernelRegistry& r) {
  r.add({"", "Exp", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
