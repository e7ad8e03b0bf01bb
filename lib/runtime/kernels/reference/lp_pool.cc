// LpPool: Y = (sum |x|^p)^(1/p) over each N-d window (kernel_shape, strides, pads / auto_pad;
// ceil_mode and dilations from opset 18). Padding positions add nothing to the sum.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class LpPoolKernel : public OpKernel {
 public:
  explicit LpPoolKernel(const KernelInit& init) : attrs_(NnSpatialAttrs::parse(init)), p_(init.attrs.get_int("p", 2)) {
    if (attrs_.kernel.empty()) fail(init.where() + ": kernel_shape is required");
    if (p_ < 1) fail(init.where() + ": p must be at least 1, got " + std::to_string(p_));
    if (init.opset < 18 && (attrs_.ceil_mode || !attrs_.dilations.empty())) {
      fail(init.where() + ": ceil_mode and dilations need opset 18");
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    NnSpatial g;
    Tensor* out = nn_pool_output(ctx, x, attrs_, &g);
    if (!out) return;
    Tensor& y = *out;
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, g, y);
    } else {
      run<double>(ctx, x, g, y);
    }
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const NnSpatial& g, Tensor& y) const {
    const int64_t planes = x.dim(0) * x.dim(1), on = g.out_numel(), in_n = g.in_numel();
    const NnPoolPlan plan = nn_pool_plan(g);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const double p = static_cast<double>(p_);
    nn_parallel_for(ctx, planes, static_cast<int64_t>(plan.offs.size()) + on, [&](int64_t p0, int64_t p1) {
      for (int64_t c = p0; c < p1; ++c) {
        const T* xp = px + c * in_n;
        for (int64_t o = 0; o < on; ++o) {
          const size_t uo = static_cast<size_t>(o);
          double sum = 0;
          for (int64_t i = plan.start[uo]; i < plan.start[uo + 1]; ++i) {
            const double v = std::fabs(static_cast<double>(xp[plan.offs[static_cast<size_t>(i)]]));
            sum += p_ == 1 ? v : p_ == 2 ? v * v : std::pow(v, p);
          }
          py[c * on + o] = static_cast<T>(p_ == 1 ? sum : p_ == 2 ? std::sqrt(sum) : std::pow(sum, 1.0 / p));
        }
      }
    });
  }

  NnSpatialAttrs attrs_;
  int64_t p_;
};

}  // namespace

void register_LpPool(KernelRegistry& r) {
  r.add({"", "LpPool", 2, kOpsetMax, float_types(), factory_of<LpPoolKernel>()});
}

}  // namespace edge::rt
