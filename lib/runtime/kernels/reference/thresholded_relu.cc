// ThresholdedRelu: Y = X for X > alpha, 0 otherwise (alpha defaults to 1).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class ThresholdedReluKernel : public OpKernel {
 public:
  explicit ThresholdedReluKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 1.0f)) {}

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      return x > T(alpha_) ? x : T(0);
    });
  }

 private:
  float alpha_;
};
}  // namespace

void register_ThresholdedRelu(KernelRegistry& r) {
  r.add({"", "ThresholdedRelu", 10, kOpsetMax, float_types(), factory_of<ThresholdedReluKernel>()});
}

}  // namespace edge::rt
