// Sum: element-wise sum of one or more inputs with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), numeric_types());
  ew_variadic(ctx, [](auto a, auto b) { return ew_wrap_add(a, b); });
}
}  // namespace

void register_Sum(KernelRegistry& r) { r.add({"", "Sum", 1, kOpsetMax, numeric_types(), function_kernel(compute)}); }

}  // namespace edge::rt
