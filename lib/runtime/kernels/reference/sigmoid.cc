// Sigmoid: Y = 1 / (1 + e^-X) element-wise, evaluated without overflow for large |X|.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  unary_float(ctx, [](auto x) {
    using T = decltype(x);
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    T e = std::exp(x);
    return e / (T(1) + e);
  });
}
}  // namespace

void register_Sigmoid(KernelRegistry& r) {
  r.add({"", "Sigmoid", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
