// Gelu (opset 20): Y = 0.5 * X * (1 + erf(X / sqrt(2))), or with approximate = "tanh" Y = 0.5 * X *
// (1 + tanh(sqrt(2 / pi) * (X + 0.044715 * X^3))).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"

namespace edge::rt {
namespace {

class GeluKernel : public OpKernel {
 public:
  explicit GeluKernel(const KernelInit& init) {
    const std::string a = init.attrs.get_string("approximate", "none");
    if (a != "none" && a != "tanh") fail(init.where() + ": approximate must be 'none' or 'tanh', got '" + a + "'");
    tanh_ = a == "tanh";
  }

  void compute(KernelContext& ctx) override {
    if (tanh_) {
      unary_float(ctx, [](auto x) {
        const double v = static_cast<double>(x);
        return 0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
      });
    } else {
      unary_float(ctx, [](auto x) {
        const double v = static_cast<double>(x);
        return 0.5 * v * (1.0 + std::erf(v * 0.7071067811865476));
      });
    }
  }

 private:
  bool tanh_ = false;
};

}  // namespace

void register_Gelu(KernelRegistry& r) { r.add({"", "Gelu", 20, kOpsetMax, float_types(), factory_of<GeluKernel>()}); }

}  // namespace edge::rt
