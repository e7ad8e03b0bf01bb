// Relu: Y = max(0, X).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_numeric(ctx, [](auto x) { return x > decltype(x)(0) ? x : decltype(x)(0); });
}
}  // namespace

void register_Relu(KernelRegistry& r) {
  r.add({"", "Relu", 6, kOpsetMax, numeric_types(), function_kernel(compute)});
}

}  // namespace edge::rt
