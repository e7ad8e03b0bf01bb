// Tanh: Y = tanh(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::tanh(x); });
}
}  // namespace

void register_Tanh(KernelRegistry& r) {
  r.add({"", "Tanh", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
