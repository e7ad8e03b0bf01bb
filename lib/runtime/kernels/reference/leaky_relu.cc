// LeakyRelu: Y = X for X >= 0, alpha * X otherwise (alpha defaults to 0.01).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class LeakyReluKernel : public OpKernel {
 public:
  explicit LeakyReluKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 0.01f)) {}

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      return x >= T(0) ? x : T(alpha_) * x;
    });
  }

 private:
  float alpha_;
};
}  // namespace

void register_LeakyRelu(KernelRegistry& r) {
  r.add({"", "LeakyRelu", 1, kOpsetMax, float_types(), factory_of<LeakyReluKernel>()});
}

}  // namespace edge::rt
