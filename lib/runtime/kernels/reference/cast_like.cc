// CastLike: converts input 0 to the element type of input 1 (target_type); the second
// input's values are not used.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) { ctx.outputs[0] = ew_cast(ctx.input(0), ctx.input(1).dtype(), ctx.where()); }
}  // namespace

void register_CastLike(KernelRegistry& r) {
  r.add({"", "CastLike", 15, kOpsetMax, all_types(), function_kernel(compute)});
}

}  // namespace edge::rt
