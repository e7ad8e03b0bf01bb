// Floor: Y = largest integer <= X, element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) { return std::floor(x); });
}
}  // namespace

void register_Floor(KernelRegistry& r) {
  r.add({"", "Floor", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
