// PRelu: Y = X for X >= 0, slope * X otherwise; slope broadcasts to X's shape. Before
// opset 7 a 1-D slope with one value per channel applies along axis 1.
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x_in = ctx.input(0);
  const Tensor& s_in = ctx.input(1);
  ew_check_type(ctx, x_in.dtype(), numeric_types());
  if (s_in.dtype() != x_in.dtype()) {
    fail(ctx.where() + ": slope type " + dtype_name(s_in.dtype()) + " differs from input type " +
         dtype_name(x_in.dtype()));
  }
  Tensor slope = ew_to_float(s_in);
  if (ctx.opset < 7 && x_in.rank() >= 2 && slope.rank() == 1 && slope.numel() == x_in.dim(1) && slope.numel() != 1) {
    Shape per_channel(static_cast<size_t>(x_in.rank() - 1), 1);
    per_channel[0] = slope.numel();
    slope = slope.reshaped(per_channel);
  }
  if (broadcast_shapes({x_in.shape(), slope.shape()}, ctx.where()) != x_in.shape()) {
    fail(ctx.where() + ": slope " + s_in.describe() + " does not broadcast to input " + x_in.describe());
  }
  const Tensor x = ew_to_float(x_in);
  Tensor out(x.dtype(), x.shape());
  dispatch_numeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      binary_broadcast<T, T, T>(x, slope, out, [](T a, T s) { return a < T(0) ? ew_wrap_mul(a, s) : a; });
    }
  });
  ctx.outputs[0] = x_in.dtype() == DType::kFloat16 ? ew_to_half(out) : out;
}
}  // namespace

void register_PRelu(KernelRegistry& r) {
  r.add({"", "PRelu", 1, kOpsetMax, numeric_types(), function_kernel(compute)});
}

}  // namespace edge::rt
