// Mish: Y = X * tanh(softplus(X)) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) {
    using T = decltype(x);
    T sp = x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    return x * std::tanh(sp);
  });
}
}  // namespace

void register_Mish(KernelRegistry& r) {
  r.add({"", "Mish", 18, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
