// Xor: C = A != B for bool tensors with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), {DType::kBool});
  binary_numeric<true>(ctx, [](auto a, auto b) { return static_cast<bool>(a) != static_cast<bool>(b); });
}
}  // namespace

void register_Xor(KernelRegistry& r) {
  r.add({"", "Xor", 1, kOpsetMax, {DType::kBool}, function_kernel(compute)});
}

}  // namespace edge::rt
