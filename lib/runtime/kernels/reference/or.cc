// Or: C = A || B for bool tensors with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), {DType::kBool});
  binary_numeric<true>(ctx, [](auto a, auto b) { return a || b; });
}
}  // namespace

void register_Or(KernelRegistry& r) {
  r.add({"", "Or", 1, kOpsetMax, {DType::kBool}, function_kernel(compute)});
}

}  // namespace edge::rt
