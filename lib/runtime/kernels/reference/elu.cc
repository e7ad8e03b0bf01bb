// Elu: Y = X for X >= 0, alpha * (e^X - 1) otherwise (alpha defaults to 1).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {
class EluKernel : public OpKernel {
 public:
  explicit EluKernel(const KernelInit& init) : alpha_(init.attrs.get_float("alpha", 1.0f)) {}

  void compute(KernelContext& ctx) override {
    unary_float(ctx, [this](auto x) {
      using T = decltype(x);
      return x >= T(0) ? x : T(alpha_) * (std::exp(x) - T(1));
    });
  }

 private:
  float alpha_;
};
}  // namespace

void register_Elu(KernelRegistry& r) {
  r.add({"", "Elu", 1, kOpsetMax, float_types(), factory_of<EluKernel>()});
}

}  // namespace edge::rt
