// GroupNormalization: the C channels of X [N, C, ...] form num_groups groups; each (n, group) is
// normalized with its own mean and biased variance, then scaled and shifted: Y = scale * (X - mean)
// / sqrt(var + epsilon) + bias. Opset 18 gives scale and bias per group ([num_groups]); opset 21
// per channel ([C]), with statistics computed in float32 or wider (stash_type; this kernel always
// accumulates in double).
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class GroupNormKernel : public OpKernel {
 public:
  explicit GroupNormKernel(const KernelInit& init)
      : eps_(init.attrs.get_float("epsilon", 1e-5f)),
        groups_(init.attrs.require_int("num_groups")),
        per_channel_(init.opset >= 21) {
    if (groups_ < 1) fail(init.where() + ": num_groups must be positive, got " + std::to_string(groups_));
    const int64_t stash = init.attrs.get_int("stash_type", 1);
    if (stash != 1 && stash != 11)
      fail_unsupported(init.where() + ": stash_type " + std::to_string(stash) + " is not supported");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    if (x.rank() < 2) fail(ctx.where() + ": X must have rank >= 2, got " + x.describe());
    const int64_t C = x.dim(1);
    if (C % groups_ != 0) {
      fail(ctx.where() + ": " + std::to_string(C) + " channels cannot form " + std::to_string(groups_) + " groups");
    }
    const int64_t params = per_channel_ ? C : groups_;
    const Tensor& scale = ctx.input(1);
    const Tensor& bias = ctx.input(2);
    if (scale.numel() != params || bias.numel() != params) {
      fail(ctx.where() + ": scale and bias must have " + std::to_string(params) + " elements (" +
           (per_channel_ ? "one per channel" : "one per group") + "), got " + scale.describe() + " and " +
           bias.describe());
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
    const int64_t N = x.dim(0), C = x.dim(1), per_group = C / groups_;
    const int64_t spatial = N * C == 0 ? 0 : x.numel() / (N * C);
    const int64_t group_size = per_group * spatial;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    nn_parallel_for(ctx, N * groups_, 3 * group_size, [&](int64_t g0, int64_t g1) {
      for (int64_t ng = g0; ng < g1; ++ng) {
        const T* xs = px + ng * group_size;
        T* ys = py + ng * group_size;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < group_size; ++i) mean += static_cast<double>(xs[i]);
        mean /= static_cast<double>(group_size > 0 ? group_size : 1);
        for (int64_t i = 0; i < group_size; ++i) {
          const double d = static_cast<double>(xs[i]) - mean;
          var += d * d;
        }
        var /= static_cast<double>(group_size > 0 ? group_size : 1);
        const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps_));
        const int64_t g = ng % groups_;
        for (int64_t c = 0; c < per_group; ++c) {
          const int64_t p = per_channel_ ? g * per_group + c : g;
          const double a = scale.get_double(p) * inv, b = bias.get_double(p);
          for (int64_t i = c * spatial; i < (c + 1) * spatial; ++i) {
            ys[i] = static_cast<T>((static_cast<double>(xs[i]) - mean) * a + b);
          }
        }
      }
    });
  }

  float eps_;
  int64_t groups_;
  bool per_channel_;
};

}  // namespace

void register_GroupNormalization(KernelRegistry& r) {
  r.add({"", "GroupNormalization", 18, kOpsetMax, float_types(), factory_of<GroupNormKernel>()});
}

}  // namespace edge::rt
