// Celu: Y = max(0, X) + min(0, alpha * (e^(X / alpha) - 1)) element-wise (alpha defaults to 1).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class CeluKernel : public OpKernel {
 public:
  explicit CeluKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 1.0f)) {
    if (alpha_ == 0.0f || std::isnan(alpha_)) fail(init.where() + ": attribute alpha must be non-zero");
  }

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      T a = T(alpha_);
      T neg = a * (std::exp(x / a) - T(1));
      return (x > T(0) ? x : T(0)) + (neg < T(0) ? neg : T(0));
    });
  }

 private:
  float alpha_;
};
}  // namespace

void register_Celu(KernelRegistry& r) {
  r.add({"", "Celu", 12, kOpsetMax, float_types(), factory_of<CeluKernel>()});
}

}  // namespace edge::rt
