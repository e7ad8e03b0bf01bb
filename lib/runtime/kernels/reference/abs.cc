// Abs: Y = |X| element-wise for every numeric type (|INT_MIN| wraps to INT_MIN).
#include <cmath>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_numeric(ctx, [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      return std::fabs(x);
    } else if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else {
      return x < T(0) ? ew_wrap_neg(x) : x;
    }
  });
}
}  // namespace

void register_Abs(KernelRegistry& r) {
  r.add({"", "Abs", 1, kOpsetMax, numeric_types(), function_kernel(compute)});
}

}  // namespace edge::rt
