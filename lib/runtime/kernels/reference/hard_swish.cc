// HardSwish: Y = X * max(0, min(1, X / 6 + 0.5)) element-wise.
#include <algorithm>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) {
    using T = decltype(x);
    T h = x / T(6) + T(0.5);
    h = h < T(0) ? T(0) : (h > T(1) ? T(1) : h);
    return x * h;
  });
}
}  // namespace

void register_HardSwish(KernelRegistry& r) {
  r.add({"", "HardSwish", 14, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
