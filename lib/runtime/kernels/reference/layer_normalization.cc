// LayerNormalization (opset 17): normalizes X over the dims [axis, rank): Y = (X - mean) *
// InvStdDev * Scale + B, InvStdDev = 1 / sqrt(biased variance + epsilon). Scale and the
// optional B broadcast to X.shape[axis:]. Optional outputs Mean and InvStdDev have shape
// X.shape[:axis] followed by ones; they are float32 (stash_type 1) or float64.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class LayerNormKernel : public OpKernel {
 public:
  explicit LayerNormKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", -1)),
        eps_(init.attrs.get_float("epsilon", 1e-5f)),
        stash_(init.attrs.get_int("stash_type", 1)) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); }, {1, 2});
      return;
    }
    nn_require_float(ctx, x);
    const int r = x.rank();
    int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis >= r) fail(ctx.where() + ": axis " + std::to_string(axis_) + " is out of range for " + x.describe());
    Shape inner(x.shape().begin() + axis, x.shape().end());
    const int64_t n = shape_numel(inner), rows = n == 0 ? 0 : x.numel() / n;
    const Tensor& scale = ctx.input(1);
    const Tensor* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Shape ss = strides_for(ctx, scale, inner), bs;
    if (bias) bs = strides_for(ctx, *bias, inner);
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    Shape stat_shape(x.shape().begin(), x.shape().begin() + axis);
    stat_shape.resize(static_cast<size_t>(r), 1);
    const DType st = (x.dtype() == DType::kDouble && stash_ != 1) ? DType::kDouble : DType::kFloat;
    Tensor* mean_out = ctx.num_outputs() > 1 && ctx.has_output(1) ? &ctx.alloc_output(1, st, stat_shape) : nullptr;
    Tensor* inv_out = ctx.num_outputs() > 2 && ctx.has_output(2) ? &ctx.alloc_output(2, st, stat_shape) : nullptr;
    // Scratch: per-row mean and inverse std dev, then the Scale and B offset tables.
    auto* work = static_cast<double*>(ctx.scratch(static_cast<size_t>(2 * rows) * sizeof(double) +
                                                  static_cast<size_t>(2 * n) * sizeof(int64_t)));
    double* mean = work;
    double* inv = work + rows;
    auto* offsets = reinterpret_cast<int64_t*>(work + 2 * rows);
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, scale, bias, ss, bs, inner, y, rows, mean, inv, offsets);
    } else {
      run<double>(ctx, x, scale, bias, ss, bs, inner, y, rows, mean, inv, offsets);
    }
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t ui = i;
      if (st == DType::kDouble) {
        if (mean_out) mean_out->data<double>()[i] = mean[ui];
        if (inv_out) inv_out->data<double>()[i] = inv[ui];
      } else {
        if (mean_out) mean_out->data<float>()[i] = static_cast<float>(mean[ui]);
        if (inv_out) inv_out->data<float>()[i] = static_cast<float>(inv[ui]);
      }
    }
  }

 private:
  // Element strides of a Scale/B tensor broadcast over the normalized shape.
  static Shape strides_for(const KernelContext& ctx, const Tensor& t, const Shape& inner) {
    if (t.dtype() != ctx.input(0).dtype()) fail(ctx.where() + ": Scale and B must have the type of X");
    bool ok = t.rank() <= static_cast<int>(inner.size());
    for (int i = 1; ok && i <= t.rank(); ++i) {
      int64_t d = t.shape()[static_cast<size_t>(t.rank() - i)], e = inner[inner.size() - static_cast<size_t>(i)];
      ok = d == e || d == 1;
    }
    if (!ok) fail(ctx.where() + ": " + t.describe() + " cannot be broadcast to " + shape_str(inner));
    return broadcast_strides(t.shape(), inner);
  }

  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const Tensor& scale, const Tensor* bias,
           const Shape& ss, const Shape& bs, const Shape& inner, Tensor& y, int64_t rows, double* mean,
           double* inv, int64_t* offsets) const {
    const int64_t n = shape_numel(inner);
    // Flat offsets of Scale and B for each normalized position.
    int64_t* so = offsets;
    int64_t* bo = offsets + n;
    Shape idx(inner.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t a = 0, b = 0;
      for (size_t d = 0; d < inner.size(); ++d) {
        a += idx[d] * ss[d];
        if (bias) b += idx[d] * bs[d];
      }
      so[i] = a;
      bo[i] = b;
      for (size_t d = inner.size(); d-- > 0;) {
        if (++idx[d] < inner[d]) break;
        idx[d] = 0;
      }
    }
    const T* px = x.data<T>();
    const T* ps = scale.data<T>();
    const T* pb = bias ? bias->data<T>() : nullptr;
    T* py = y.data<T>();
    nn_parallel_for(ctx, rows, 3 * n, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* xr = px + r * n;
        T* yr = py + r * n;
        double m = 0, v = 0;
        for (int64_t i = 0; i < n; ++i) m += xr[i];
        m /= static_cast<double>(n);
        for (int64_t i = 0; i < n; ++i) v += (xr[i] - m) * (xr[i] - m);
        v /= static_cast<double>(n);
        const double is = 1.0 / std::sqrt(v + static_cast<double>(eps_));
        for (int64_t i = 0; i < n; ++i) {
          double out = (xr[i] - m) * is * ps[so[i]];
          if (pb) out += pb[bo[i]];
          yr[i] = static_cast<T>(out);
        }
        mean[r] = m;
        inv[r] = is;
      }
    });
  }

  int64_t axis_;
  float eps_;
  int64_t stash_;
};

}  // namespace

void register_LayerNormalization(KernelRegistry& r) {
  r.add({"", "LayerNormalization", 17, kOpsetMax, float_types(), factory_of<LayerNormKernel>()});
}

}  // namespace edge::rt
