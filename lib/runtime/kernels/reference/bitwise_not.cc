// BitwiseNot (opset 18): Y = ~X bit by bit for integer tensors.
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/bitwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), bitwise_types());
  unary_numeric(ctx, [](auto x) {
    using T = decltype(x);
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(~x);
    } else {
      return x;  // not reached: the type was checked above
    }
  });
}
}  // namespace

void register_BitwiseNot(KernelRegistry& r) {
  r.add({"", "BitwiseNot", 18, kOpsetMax, bitwise_types(), function_kernel(compute)});
}

}  // namespace edge::rt
