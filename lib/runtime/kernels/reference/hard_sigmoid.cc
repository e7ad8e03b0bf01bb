// HardSigmoid: Y = max(0, min(1, alpha * X + beta)) element-wise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class HardSigmoidKernel : public OpKernel {
 public:
  explicit HardSigmoidKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 0.2f)), beta_(init.attrs.get_float("beta", 0.5f)) {}

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      T v = T(alpha_) * x + T(beta_);
      return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
    });
  }

 private:
  float alpha_;
  float beta_;
};
}  // namespace

void register_HardSigmoid(KernelRegistry& r) {
  r.add({"", "HardSigmoid", 1, kOpsetMax, float_types(), factory_of<HardSigmoidKernel>()});
}

}  // namespace edge::rt
