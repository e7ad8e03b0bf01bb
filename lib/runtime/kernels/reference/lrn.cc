// LRN: local response normalization across channels,
// Y = X / (bias + alpha / size * sum of X^2 over the channel window) ^ beta, where the window
// of channel c is [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the channels.
#include <algorithm>
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class LrnKernel : public OpKernel {
 public:
  explicit LrnKernel(const KernelInit& init)
      : alpha_(init.attrs.get_float("alpha", 1e-4f)),
        beta_(init.attrs.get_float("beta", 0.75f)),
        bias_(init.attrs.get_float("bias", 1.0f)),
        size_(init.attrs.require_int("size")) {
    if (size_ <= 0) fail(init.where() + ": size must be positive");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, y);
    } else {
      run<double>(ctx, x, y);
    }
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, Tensor& y) const {
    const int64_t N = x.dim(0), C = x.dim(1), S = N * C == 0 ? 0 : x.numel() / (N * C);
    const int64_t lo = (size_ - 1) / 2, hi = size_ - 1 - lo;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const double k = static_cast<double>(alpha_) / static_cast<double>(size_);
    nn_parallel_for(ctx, N * C, S * size_, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / C, c = p % C;
        const int64_t c0 = std::max<int64_t>(0, c - lo), c1 = std::min<int64_t>(C - 1, c + hi);
        for (int64_t s = 0; s < S; ++s) {
          double sq = 0;
          for (int64_t cc = c0; cc <= c1; ++cc) {
            const double v = px[(n * C + cc) * S + s];
            sq += v * v;
          }
          py[p * S + s] = static_cast<T>(px[p * S + s] / std::pow(static_cast<double>(bias_) + k * sq, static_cast<double>(beta_)));
        }
      }
    });
  }

  float alpha_, beta_, bias_;
  int64_t size_;
};

}  // namespace

void register_LRN(KernelRegistry& r) { r.add({"", "LRN", 1, kOpsetMax, float_types(), factory_of<LrnKernel>()}); }

}  // namespace edge::rt
