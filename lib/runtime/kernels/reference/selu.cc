// Selu: Y = gamma * X for X > 0, gamma * (alpha * e^X - alpha) otherwise.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class SeluKernel : public OpKernel {
 public:
  explicit SeluKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 1.67326319217681884765625f)), gamma_(init.attrs.get_float("gamma", 1.05070102214813232421875f)) {}

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      return x > T(0) ? T(gamma_) * x : T(gamma_) * (T(alpha_) * std::exp(x) - T(alpha_));
    });
  }

 private:
  float alpha_;
  float gamma_;
};
}  // namespace

void register_Selu(KernelRegistry& r) {
  r.add({"", "Selu", 1, kOpsetMax, float_types(), factory_of<SeluKernel>()});
}

}  // namespace edge::rt
