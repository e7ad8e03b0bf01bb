// Log: Y = ln(X) element-wise (-inf at 0, NaN below).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::log(x); });
}
}  // namespace

void register_Log(KernelRegistry& r) {
  r.add({"", "Log", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
