// Sign: Y = -1, 0 or 1 according to the sign of X, element-wise (NaN stays NaN).
#include <cmath>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_numeric(ctx, [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(x > T(0) ? 1 : 0);
    } else {
      return static_cast<T>(x > T(0) ? 1 : (x < T(0) ? -1 : 0));
    }
  });
}
}  // namespace

void register_Sign(KernelRegistry& r) {
  r.add({"", "Sign", 9, kOpsetMax, numeric_types(), function_kernel(compute)});
}

}  // namespace edge::rt
