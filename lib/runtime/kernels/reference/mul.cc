// Mul: C = A * B with numpy broadcasting (legacy broadcast/axis attributes before
// opset 7); integers wrap around on overflow.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class MulKernel : public OpKernel {
 public:
  explicit MulKernel(const KernelInit& init) : legacy_(init) {}

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    ew_check_type(ctx, a.dtype(), numeric_types());
    ew_binary(ctx, a, legacy_.rhs(ctx, a, ctx.input(1)), [&](auto a, auto b) {
      return ew_wrap_mul(a, b);
    });
  }

 private:
  EwLegacyBroadcast legacy_;
};
}  // namespace

void register_Mul(KernelRegistry& r) {
  r.add({"", "Mul", 1, kOpsetMax, numeric_types(), factory_of<MulKernel>()});
}

}  // namespace edge::rt
