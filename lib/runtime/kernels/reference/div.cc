// Div: C = A / B with numpy broadcasting (legacy broadcast/axis attributes before
// opset 7). Integer division truncates toward zero; division by zero is an error.
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class DivKernel : public OpKernel {
 public:
  explicit DivKernel(const KernelInit& init) : legacy_(init) {}

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    ew_check_type(ctx, a.dtype(), numeric_types());
    ew_binary(ctx, a, legacy_.rhs(ctx, a, ctx.input(1)), [&](auto a, auto b) {
      using T = decltype(a);
      if constexpr (std::is_integral_v<T>) {
        if (b == T(0)) fail(ctx.where() + ": integer division by zero");
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return ew_wrap_neg(a);  // avoids INT_MIN / -1 overflow
        }
        return static_cast<T>(a / b);
      } else {
        return a / b;
      }
    });
  }

 private:
  EwLegacyBroadcast legacy_;
};
}  // namespace

void register_Div(KernelRegistry& r) {
  r.add({"", "Div", 1, kOpsetMax, numeric_types(), factory_of<DivKernel>()});
}

}  // namespace edge::rt
