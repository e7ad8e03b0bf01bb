// IsInf: Y[i] = true where X[i] is +inf (if detect_positive) or -inf (if detect_negative).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class IsInfKernel : public OpKernel {
 public:
  explicit IsInfKernel(const KernelInit& init)
      : neg_(init.attrs.get_int("detect_negative", 1) != 0), pos_(init.attrs.get_int("detect_positive", 1) != 0) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    ew_check_type(ctx, x.dtype(), float_types());
    Tensor& y = ctx.alloc_output(0, DType::kBool, x.shape());
    bool* py = y.data<bool>();
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) {
      double v = x.get_double(i);
      py[i] = std::isinf(v) && ((v > 0 && pos_) || (v < 0 && neg_));
    }
  }

 private:
  bool neg_;
  bool pos_;
};
}  // namespace

void register_IsInf(KernelRegistry& r) {
  r.add({"", "IsInf", 10, kOpsetMax, float_types(), factory_of<IsInfKernel>()});
}

}  // namespace edge::rt
