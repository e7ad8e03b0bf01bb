// Asin: Y = arcsin(X) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::asin(x); });
}
}  // namespace

void register_Asin(KernelRegistry& r) {
  r.add({"", "Asin", 7, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
