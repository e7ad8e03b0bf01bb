// Size: the input's element count as an int64 scalar.
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.alloc_output(0, DType::kInt64, {}).data<int64_t>()[0] = x.numel();
}
}  // namespace

void register_Size(KernelRegistry& r) { r.add({"", "Size", 1, kOpsetMax, {}, function_kernel(compute)}); }

}  // namespace edge::rt
