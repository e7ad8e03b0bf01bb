// Mean: element-wise mean of one or more inputs with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), numeric_types());
  ew_variadic(ctx, [](auto a, auto b) { return ew_wrap_add(a, b); }, /*mean=*/true);
}
}  // namespace

void register_Mean(KernelRegistry& r) { r.add({"", "Mean", 1, kOpsetMax, numeric_types(), function_kernel(compute)}); }

}  // namespace edge::rt
