// QLinearAveragePool (com.microsoft, version 1; also the QDQ fusion's form of
// DQ -> AveragePool -> Q): inputs X, x_scale, x_zero_point?, y_scale, y_zero_point?;
//   Y = saturate(round_half_even(x_scale * mean(X - x_zp over the window) / y_scale) + y_zp)
// for uint8/int8 X (Y of the same type), with AveragePool's attributes (kernel_shape,
// strides, pads / auto_pad, ceil_mode, count_include_pad: padding counts as a real 0) and
// channels_last (X laid out [N, D1.., C]). Window sums are exact int32.
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

class QLinearAveragePoolKernel : public OpKernel {
 public:
  explicit QLinearAveragePoolKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)),
        include_pad_(init.attrs.get_int("count_include_pad", 0) != 0),
        channels_last_(init.attrs.get_int("channels_last", 0) != 0) {
    if (attrs_.kernel.empty()) fail(init.where() + ": kernel_shape is required");
  }

  std::string algorithm() const override { return channels_last_ ? "int-sum-nhwc" : "int-sum"; }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    q_require_8bit(ctx.where(), x, "X");
    if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
    const DType t = x.dtype();
    const float xs = q_scalar_scale(ctx.where(), ctx.input(1), "x");
    const int32_t xzp = q_scalar_zero_point(ctx.where(), ctx.has_input(2) ? &ctx.input(2) : nullptr, t, "x");
    const float ys = q_scalar_scale(ctx.where(), ctx.input(3), "y");
    const int32_t yzp = q_scalar_zero_point(ctx.where(), ctx.has_input(4) ? &ctx.input(4) : nullptr, t, "y");
    const int r = x.rank();
    const int64_t C = channels_last_ ? x.dim(r - 1) : x.dim(1);
    const Shape in = channels_last_ ? Shape(x.shape().begin() + 1, x.shape().end() - 1)
                                    : Shape(x.shape().begin() + 2, x.shape().end());
    if (!has_plan_ || in != plan_in_) {
      geom_ = nn_resolve_spatial(ctx.where(), attrs_, in, {});
      plan_ = nn_pool_plan(geom_);
      plan_in_ = in;
      has_plan_ = true;
    }
    Shape out{x.dim(0)};
    if (!channels_last_) out.push_back(C);
    out.insert(out.end(), geom_.out.begin(), geom_.out.end());
    if (channels_last_) out.push_back(C);
    Tensor& y = ctx.alloc_output(0, t, out);
    if (y.numel() == 0) return;
    if (t == DType::kUint8) {
      run<uint8_t>(ctx, x, y, C, xzp, static_cast<double>(xs) / ys, yzp);
    } else {
      run<int8_t>(ctx, x, y, C, xzp, static_cast<double>(xs) / ys, yzp);
    }
  }

 private:
  template <typename T>
  void run(const KernelContext& ctx, const Tensor& x, Tensor& y, int64_t C, int32_t xzp, double mult,
           int32_t yzp) const {
    const int64_t on = geom_.out_numel(), in_n = geom_.in_numel(), planes = x.dim(0) * C;
    const int32_t lo = q_min(x.dtype()), hi = q_max(x.dtype());
    const T* px = x.data<T>();
    T* py = y.data<T>();
    nn_parallel_for(ctx, planes, static_cast<int64_t>(plan_.offs.size()) + on, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / C, c = p % C;
        // Plane (n, c): element s of the spatial dims at in_base + s * step.
        const int64_t step = channels_last_ ? C : 1;
        const int64_t in_base = channels_last_ ? n * in_n * C + c : p * in_n;
        const int64_t out_base = channels_last_ ? n * on * C + c : p * on;
        for (int64_t o = 0; o < on; ++o) {
          const size_t uo = static_cast<size_t>(o);
          int64_t sum = 0;
          for (int64_t i = plan_.start[uo]; i < plan_.start[uo + 1]; ++i) {
            sum += static_cast<int32_t>(px[in_base + plan_.offs[static_cast<size_t>(i)] * step]) - xzp;
          }
          const int64_t cnt = include_pad_ ? plan_.padded_count[uo] : plan_.start[uo + 1] - plan_.start[uo];
          const double mean = cnt > 0 ? static_cast<double>(sum) / static_cast<double>(cnt) : 0.0;
          py[out_base + o * step] = static_cast<T>(q_round_clamp(mean * mult, yzp, lo, hi));
        }
      }
    });
  }

  NnSpatialAttrs attrs_;
  bool include_pad_, channels_last_;
  bool has_plan_ = false;
  Shape plan_in_;
  NnSpatial geom_;
  NnPoolPlan plan_;
};

}  // namespace

void register_QLinearAveragePool(KernelRegistry& r) {
  r.add({"com.microsoft",
         "QLinearAveragePool",
         1,
         kOpsetMax,
         {DType::kUint8, DType::kInt8},
         factory_of<QLinearAveragePoolKernel>()});
  r.add({kFusedDomain,
         "QLinearAveragePool",
         1,
         kOpsetMax,
         {DType::kUint8, DType::kInt8},
         factory_of<QLinearAveragePoolKernel>()});
}

}  // namespace edge::rt
