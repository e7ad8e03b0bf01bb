// Add: C = A + B with numpy broadcasting.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  binary_numeric(ctx, [](auto a, auto b) { return a + b; });
}
}  // namespace

void register_Add(KernelRegistry& r) { r.add({"", "Add", 7, kOpsetMax, numeric_types(), function_kernel(compute)}); }

}  // namespace edge::rt
