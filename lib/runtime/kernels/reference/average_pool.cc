// AveragePool: mean over each N-d window (kernel_shape, strides, pads / auto_pad, ceil_mode,
// dilations). Padding positions count in the divisor only with count_include_pad=1.
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class AveragePoolKernel : public OpKernel {
 public:
  explicit AveragePoolKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)), include_pad_(init.attrs.get_int("count_include_pad", 0) != 0) {
    if (attrs_.kernel.empty()) fail(init.where() + ": kernel_shape is required");
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
    nn_parallel_for(ctx, planes, static_cast<int64_t>(plan.offs.size()) + on, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xp = px + p * in_n;
        for (int64_t o = 0; o < on; ++o) {
          const size_t uo = static_cast<size_t>(o);
          T sum = 0;
          for (int64_t i = plan.start[uo]; i < plan.start[uo + 1]; ++i) sum += xp[plan.offs[static_cast<size_t>(i)]];
          const int64_t cnt = include_pad_ ? plan.padded_count[uo] : plan.start[uo + 1] - plan.start[uo];
          py[p * on + o] = cnt > 0 ? sum / static_cast<T>(cnt) : T(0);
        }
      }
    });
  }

  NnSpatialAttrs attrs_;
  bool include_pad_;
};

}  // namespace

void register_AveragePool(KernelRegistry& r) {
  r.add({"", "AveragePool", 1, kOpsetMax, float_types(), factory_of<AveragePoolKernel>()});
}

}  // namespace edge::rt
