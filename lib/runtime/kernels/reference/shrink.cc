// Shrink: Y = X - bias for X > lambd, X + bias for X < -lambd, 0 otherwise (any numeric type).
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class ShrinkKernel : public OpKernel {
 public:
  explicit ShrinkKernel(const KernelInit& init)
      : bias_(init.attrs.get_float("bias", 0.0f)), lambd_(init.attrs.get_float("lambd", 0.5f)) {}

  void compute(KernelContext& ctx) override {
    unary_numeric(ctx, [this](auto x) {
      using T = decltype(x);
      // Computed in double and cast back, as the reference does for integer inputs.
      double v = static_cast<double>(x);
      double r = v < -lambd_ ? v + bias_ : (v > lambd_ ? v - bias_ : 0.0);
      if constexpr (std::is_integral_v<T>) {
        return ew_double_to_int<T>(r);
      } else {
        return static_cast<T>(r);
      }
    });
  }

 private:
  double bias_;
  double lambd_;
};
}  // namespace

void register_Shrink(KernelRegistry& r) {
  r.add({"", "Shrink", 9, kOpsetMax, numeric_types(), factory_of<ShrinkKernel>()});
}

}  // namespace edge::rt
