// Clip: Y = min(max(X, min), max) element-wise. Bounds are attributes before opset 11 and
// optional scalar inputs from opset 11 (integer types from opset 12). A missing bound
// means no bound; NaN inputs stay NaN.
#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class ClipKernel : public OpKernel {
 public:
  explicit ClipKernel(const KernelInit& init) : opset_(init.opset) {
    if (opset_ < 11) {
      const float inf = std::numeric_limits<float>::infinity();
      lo_ = init.attrs.get_float("min", -inf);
      hi_ = init.attrs.get_float("max", inf);
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x_in = ctx.input(0);
    ew_check_type(ctx, x_in.dtype(), opset_ < 11 ? float_types() : numeric_types());
    for (int i = 1; i <= 2 && opset_ >= 11; ++i) {
      if (!ctx.has_input(i)) continue;
      const Tensor& b = ctx.input(i);
      if (b.dtype() != x_in.dtype()) {
        fail(ctx.where() + ": bound " + b.describe() + " must have the input's type " + dtype_name(x_in.dtype()));
      }
      if (b.numel() != 1) fail(ctx.where() + ": bound " + b.describe() + " must be a scalar");
    }
    const Tensor x = ew_to_float(x_in);
    Tensor out(x.dtype(), x.shape());
    dispatch_numeric(x.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (!std::is_same_v<T, bool>) {
        T lo, hi;
        if constexpr (std::is_floating_point_v<T>) {
          lo = -std::numeric_limits<T>::infinity();
          hi = std::numeric_limits<T>::infinity();
        } else {
          lo = std::numeric_limits<T>::lowest();
          hi = std::numeric_limits<T>::max();
        }
        if (opset_ < 11) {
          lo = static_cast<T>(lo_);
          hi = static_cast<T>(hi_);
        } else {
          if (ctx.has_input(1)) lo = bound<T>(ctx.input(1));
          if (ctx.has_input(2)) hi = bound<T>(ctx.input(2));
        }
        const T* px = x.data<T>();
        T* po = out.data<T>();
        const int64_t n = x.numel();
        for (int64_t i = 0; i < n; ++i) {
          T v = px[i];
          if (v < lo) v = lo;  // comparisons with NaN are false: NaN passes through
          if (hi < v) v = hi;
          po[i] = v;
        }
      }
    });
    ctx.outputs[0] = x_in.dtype() == DType::kFloat16 ? ew_to_half(out) : out;
  }

 private:
  template <typename T>
  static T bound(const Tensor& b) {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(b.get_double(0));
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      return *b.data<uint64_t>();
    } else {
      return static_cast<T>(b.get_int64(0));
    }
  }

  int opset_;
  float lo_ = 0.0f;
  float hi_ = 0.0f;
};
}  // namespace

void register_Clip(KernelRegistry& r) { r.add({"", "Clip", 1, kOpsetMax, numeric_types(), factory_of<ClipKernel>()}); }

}  // namespace edge::rt
