// Pow: Z = X ^ Y with numpy broadcasting; the output has the base's type. From opset 12
// the exponent may have a different numeric type (e.g. float base, int64 exponent).
// Integer base with integer exponent is computed exactly (wrapping on overflow).
// Before opset 7 the legacy broadcast/axis attributes apply.
#include <cmath>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {

// x^e for integers by repeated squaring; negative exponents truncate like 1 / x^-e.
template <typename T>
T int_pow(T x, int64_t e, const KernelContext& ctx) {
  if (e < 0) {
    if (x == T(0)) fail(ctx.where() + ": zero raised to a negative integer power");
    if (x == T(1)) return T(1);
    if constexpr (std::is_signed_v<T>) {
      if (x == T(-1)) return (e % 2 == 0) ? T(1) : T(-1);
    }
    return T(0);
  }
  T result = T(1);
  T base = x;
  auto ue = static_cast<uint64_t>(e);
  while (ue) {
    if (ue & 1u) result = ew_wrap_mul(result, base);
    ue >>= 1;
    if (ue) base = ew_wrap_mul(base, base);
  }
  return result;
}

void pow_compute(KernelContext& ctx, const EwLegacyBroadcast& legacy) {
  const Tensor& x_in = ctx.input(0);
  const Tensor y_in = legacy.rhs(ctx, x_in, ctx.input(1));
  ew_check_type(ctx, x_in.dtype(), numeric_types(), "base");
  ew_check_type(ctx, y_in.dtype(), numeric_types(), "exponent");
  const Shape out_shape = broadcast_shapes({x_in.shape(), y_in.shape()}, ctx.where());
  const Tensor base = ew_to_float(x_in);
  const bool int_exp = !ew_is_float(y_in.dtype());
  Tensor expo(int_exp ? DType::kInt64 : DType::kDouble, y_in.shape());
  const int64_t ne = y_in.numel();
  if (int_exp) {
    int64_t* pe = expo.data<int64_t>();
    for (int64_t i = 0; i < ne; ++i) pe[i] = y_in.get_int64(i);
  } else {
    double* pe = expo.data<double>();
    for (int64_t i = 0; i < ne; ++i) pe[i] = y_in.get_double(i);
  }
  Tensor out(base.dtype(), out_shape);
  dispatch_numeric(base.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      if (int_exp) {
        binary_broadcast<T, int64_t, T>(base, expo, out, [&](T x, int64_t e) {
          if constexpr (std::is_integral_v<T>) {
            return int_pow<T>(x, e, ctx);
          } else {
            return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(e)));
          }
        });
      } else {
        binary_broadcast<T, double, T>(base, expo, out, [&](T x, double e) {
          double r = std::pow(static_cast<double>(x), e);
          if constexpr (std::is_integral_v<T>) {
            return ew_double_to_int<T>(r);
          } else {
            return static_cast<T>(r);
          }
        });
      }
    }
  });
  ctx.outputs[0] = x_in.dtype() == DType::kFloat16 ? ew_to_half(out) : out;
}

class PowKernel : public OpKernel {
 public:
  explicit PowKernel(const KernelInit& init) : legacy_(init) {}
  void compute(KernelContext& ctx) override { pow_compute(ctx, legacy_); }

 private:
  EwLegacyBroadcast legacy_;
};
}  // namespace

void register_Pow(KernelRegistry& r) { r.add({"", "Pow", 1, kOpsetMax, numeric_types(), factory_of<PowKernel>()}); }

}  // namespace edge::rt
