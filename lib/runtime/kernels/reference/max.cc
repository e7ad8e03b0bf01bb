// Max: element-wise maximum of one or more inputs with numpy broadcasting (NaN propagates).
#include <cmath>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), numeric_types());
  ew_variadic(ctx, [](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a)) return a;
      if (std::isnan(b)) return b;
    }
    return a < b ? b : a;
  });
}
}  // namespace

void register_Max(KernelRegistry& r) { r.add({"", "Max", 1, kOpsetMax, numeric_types(), function_kernel(compute)}); }

}  // namespace edge::rt
