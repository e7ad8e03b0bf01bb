// Softsign: Y = X / (1 + |X|) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return x / (decltype(x)(1) + std::fabs(x)); });
}
}  // namespace

void register_Softsign(KernelRegistry& r) {
  r.add({"", "Softsign", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
