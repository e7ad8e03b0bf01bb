// Shared body of Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
// `axis` (default 1) and normalized over the flattened trailing dims; from opset 13 it is
// normalized along `axis` alone (default -1).
#pragma once

#include <cmath>
#include <string>

#include "runtime/kernel.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {

template <bool Log>
class NnSoftmaxKernel : public OpKernel {
 public:
  explicit NnSoftmaxKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", init.opset >= 13 ? -1 : 1)), per_axis_(init.opset >= 13) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    const int r = x.rank();
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    // Old opsets accept axis == rank (an empty trailing group).
    if (axis < 0 || axis > r || (per_axis_ && axis == r)) {
      fail(ctx.where() + ": axis " + std::to_string(axis_) + " is out of range for " + x.describe());
    }
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < r; ++d) {
      const int64_t v = x.shape()[static_cast<size_t>(d)];
      if (d < axis) outer *= v;
      else if (d == axis || !per_axis_) n *= v;
      else inner *= v;
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (y.numel() == 0) return;
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x.data<float>(), y.data<float>(), outer, n, inner);
    } else {
      run<double>(ctx, x.data<double>(), y.data<double>(), outer, n, inner);
    }
  }

 private:
  template <typename T>
  static void run(const KernelContext& ctx, const T* px, T* py, int64_t outer, int64_t n, int64_t inner) {
    nn_parallel_for(ctx, outer * inner, 4 * n, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t base = (b / inner) * n * inner + b % inner;
        const T* xr = px + base;
        T* yr = py + base;
        T mx = xr[0];
        for (int64_t i = 1; i < n; ++i) mx = xr[i * inner] > mx ? xr[i * inner] : mx;
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(xr[i * inner] - mx));
        if constexpr (Log) {
          const double ls = std::log(sum);
          for (int64_t i = 0; i < n; ++i) yr[i * inner] = static_cast<T>(static_cast<double>(xr[i * inner] - mx) - ls);
        } else {
          for (int64_t i = 0; i < n; ++i) yr[i * inner] = static_cast<T>(std::exp(static_cast<double>(xr[i * inner] - mx)) / sum);
        }
      }
    });
  }

  int64_t axis_;
  bool per_axis_;
};

}  // namespace edge::rt
