// InstanceNormalization: for each (n, c) plane, Y = scale[c] * (X - mean) / sqrt(var + epsilon)
// + B[c], with the mean and biased variance taken over the plane's spatial elements.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class InstanceNormKernel : public OpKernel {
 public:
  explicit InstanceNormKernel(const KernelInit& init) : eps_(init.attrs.get_float("epsilon", 1e-5f)) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    const Tensor& scale = ctx.input(1);
    const Tensor& bias = ctx.input(2);
    if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
    const int64_t C = x.dim(1);
    if (scale.numel() != C || bias.numel() != C) {
      fail(ctx.where() + ": scale and B must have " + std::to_string(C) + " elements");
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, scale, bias, y);
    } else {
      run<double>(ctx, x, scale, bias, y);
    }
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const Tensor& scale, const Tensor& bias, Tensor& y) const {
    const int64_t planes = x.dim(0) * x.dim(1), C = x.dim(1), S = planes == 0 ? 0 : x.numel() / planes;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    nn_parallel_for(ctx, planes, 3 * S, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xs = px + p * S;
        T* ys = py + p * S;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < S; ++i) mean += xs[i];
        mean /= static_cast<double>(S > 0 ? S : 1);
        for (int64_t i = 0; i < S; ++i) var += (xs[i] - mean) * (xs[i] - mean);
        var /= static_cast<double>(S > 0 ? S : 1);
        const double a = scale.get_double(p % C) / std::sqrt(var + static_cast<double>(eps_));
        const double b = bias.get_double(p % C);
        for (int64_t i = 0; i < S; ++i) ys[i] = static_cast<T>((xs[i] - mean) * a + b);
      }
    });
  }

  float eps_;
};

}  // namespace

void register_InstanceNormalization(KernelRegistry& r) {
  r.add({"", "InstanceNormalization", 1, kOpsetMax, float_types(), factory_of<InstanceNormKernel>()});
}

}  // namespace edge::rt
