// Sqrt: Y = sqrt(X) element-wise (NaN for negative inputs).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::sqrt(x); });
}
}  // namespace

void register_Sqrt(KernelRegistry& r) {
  r.add({"", "Sqrt", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
