// Softplus: Y = ln(1 + e^X) element-wise, evaluated without overflow for large |X|.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) {
    using T = decltype(x);
    if (x > T(0)) return x + std::log1p(std::exp(-x));
    return std::log1p(std::exp(x));
  });
}
}  // namespace

void register_Softplus(KernelRegistry& r) {
  r.add({"", "Softplus", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
