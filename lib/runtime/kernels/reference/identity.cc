// Identity: Y = X (the output shares the input's buffer).
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.outputs[0] = x.reshaped(x.shape());
}
}  // namespace

void register_Identity(KernelRegistry& r) { r.add({"", "Identity", 1, kOpsetMax, {}, function_kernel(compute)}); }

}  // namespace edge::rt
