// Equal: C = (A == B) element-wise with numpy broadcasting, as a bool tensor.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), all_types());
  binary_numeric<true>(ctx, [](auto a, auto b) { return a == b; });
}
}  // namespace

void register_Equal(KernelRegistry& r) {
  r.add({"", "Equal", 1, kOpsetMax, all_types(), function_kernel(compute)});
}

}  // namespace edge::rt
