// Neg: Y = -X element-wise (signed integer and float types; integers wrap like two's complement).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  ew_check_type(ctx, ctx.input(0).dtype(), ew_signed_types());
  unary_numeric(ctx, [](auto x) { return ew_wrap_neg(x); });
}
}  // namespace

void register_Neg(KernelRegistry& r) {
  r.add({"", "Neg", 1, kOpsetMax, ew_signed_types(), function_kernel(compute)});
}

}  // namespace edge::rt
