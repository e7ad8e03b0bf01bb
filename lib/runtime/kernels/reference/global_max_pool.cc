// GlobalMaxPool: maximum over all spatial dims of each (n, c) plane; output [N, C, 1, ...].
#include <limits>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

void compute(KernelContext& ctx) {
  if (nn_is_f16(ctx.input(0))) {
    nn_run_f16_as_f32(ctx, compute);
    return;
  }
  nn_global_pool(ctx, [](const auto* v, int64_t n) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(v)>>;
    T best = -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < n; ++i) best = v[i] > best ? v[i] : best;
    return best;
  });
}

}  // namespace

void register_GlobalMaxPool(KernelRegistry& r) {
  r.add({"", "GlobalMaxPool", 1, kOpsetMax, float_types(), function_kernel(compute)});
}

}  // namespace edge::rt
