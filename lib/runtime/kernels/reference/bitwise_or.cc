// BitwiseOr (opset 18): C = A | B bit by bit for integer tensors, with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/bitwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  bitwise_binary(ctx, [](auto a, auto b) { return a | b; });
}
}  // namespace

void register_BitwiseOr(KernelRegistry& r) {
  r.add({"", "BitwiseOr", 18, kOpsetMax, bitwise_types(), function_kernel(compute)});
}

}  // namespace edge::rt
