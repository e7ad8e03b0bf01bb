// Round: rounds X to the nearest integer element-wise; halves go to the even neighbour.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) {
    using T = decltype(x);
    T r = std::round(x);  // halves away from zero
    if (std::fabs(x - std::trunc(x)) == T(0.5)) r = T(2) * std::round(x / T(2));
    return r;
  });
}
}  // namespace

void register_Round(KernelRegistry& r) {
  r.add({"", "Round", 11, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
