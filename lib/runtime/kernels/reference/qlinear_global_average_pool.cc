// QLinearGlobalAveragePool (com.microsoft, version 1; also the QDQ fusion's form of
// DQ -> GlobalAveragePool -> Q): inputs X, x_scale, x_zero_point, y_scale, y_zero_point;
//   Y[n, c] = saturate(round_half_even(x_scale * mean(X[n, c, ...] - x_zp) / y_scale) + y_zp)
// for uint8/int8 X, NCHW.. or, with channels_last, N..C (Y keeps the rank with spatial
// dims 1). Sums are exact int64.
#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

class QLinearGlobalAveragePoolKernel : public OpKernel {
 public:
  explicit QLinearGlobalAveragePoolKernel(const KernelInit& init)
      : channels_last_(init.attrs.get_int("channels_last", 0) != 0) {}

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
    const int64_t N = x.dim(0), C = channels_last_ ? x.dim(r - 1) : x.dim(1);
    Shape out(static_cast<size_t>(r), 1);
    out[0] = N;
    out[channels_last_ ? static_cast<size_t>(r - 1) : 1] = C;
    Tensor& y = ctx.alloc_output(0, t, out);
    if (y.numel() == 0) return;
    const int64_t S = x.numel() / (N * C);
    const double mult = static_cast<double>(xs) / ys;
    const int32_t lo = q_min(t), hi = q_max(t);
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* px = x.data<T>();
      T* py = y.data<T>();
      nn_parallel_for(ctx, N * C, S, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t n = p / C, c = p % C;
          const int64_t base = channels_last_ ? n * S * C + c : p * S, step = channels_last_ ? C : 1;
          int64_t sum = 0;
          for (int64_t s = 0; s < S; ++s) sum += px[base + s * step];
          const double mean =
              S > 0 ? static_cast<double>(sum - static_cast<int64_t>(xzp) * S) / static_cast<double>(S) : 0.0;
          py[p] = static_cast<T>(q_round_clamp(mean * mult, yzp, lo, hi));
        }
      });
    };
    if (t == DType::kUint8) {
      run(uint8_t{});
    } else {
      run(int8_t{});
    }
  }

 private:
  bool channels_last_;
};

}  // namespace

void register_QLinearGlobalAveragePool(KernelRegistry& r) {
  r.add({"com.microsoft",
         "QLinearGlobalAveragePool",
         1,
         kOpsetMax,
         {DType::kUint8, DType::kInt8},
         factory_of<QLinearGlobalAveragePoolKernel>()});
  r.add({kFusedDomain,
         "QLinearGlobalAveragePool",
         1,
         kOpsetMax,
         {DType::kUint8, DType::kInt8},
         factory_of<QLinearGlobalAveragePoolKernel>()});
}

}  // namespace edge::rt
