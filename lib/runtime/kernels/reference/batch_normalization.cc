// BatchNormalization: Y = scale * (X - mean) / sqrt(var + epsilon) + B per channel (dim 1).
// Inference uses the given running statistics. In training mode (training_mode=1 from
// opset 14, or extra outputs declared on older opsets) the batch statistics (mean and biased
// variance over all dims but 1) normalize X and the running statistics are updated:
// running = input_running * momentum + batch * (1 - momentum).
// Parameters with C * prod(spatial) elements (opset < 9 with spatial=0) apply per element.
#include <cmath>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class BatchNormKernel : public OpKernel {
 public:
  explicit BatchNormKernel(const KernelInit& init)
      : eps_(init.attrs.get_float("epsilon", 1e-5f)),
        momentum_(init.attrs.get_float("momentum", 0.9f)),
        training_(init.attrs.get_int("training_mode", 0) != 0) {
    if (init.opset < 14) training_ = init.node.output_size() > 1 && init.attrs.get_int("is_test", 0) == 0;
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    if (x.rank() < 2) fail(ctx.where() + ": X must have rank >= 2, got " + x.describe());
    const int64_t N = x.dim(0), C = x.dim(1), S = (N * C) == 0 ? 0 : x.numel() / (N * C);
    // Per-parameter element count: C (per channel) or C * S (per element).
    int64_t per = -1;
    std::vector<std::vector<double>> p(4);
    for (int i = 0; i < 4; ++i) {
      const Tensor& t = ctx.input(i + 1);
      if (t.numel() != C && (t.numel() != C * S || S == 1)) {
        fail(ctx.where() + ": parameter " + std::to_string(i + 1) + " " + t.describe() + " does not match " +
             std::to_string(C) + " channels");
      }
      if (per >= 0 && t.numel() != per) fail(ctx.where() + ": parameter shapes differ");
      per = t.numel();
      p[static_cast<size_t>(i)].resize(static_cast<size_t>(t.numel()));
      for (int64_t j = 0; j < t.numel(); ++j) p[static_cast<size_t>(i)][static_cast<size_t>(j)] = t.get_double(j);
    }
    const bool per_elem = per != C;
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, y, p, per_elem);
    } else {
      run<double>(ctx, x, y, p, per_elem);
    }
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, Tensor& y, std::vector<std::vector<double>>& p, bool per_elem) const {
    const int64_t N = x.dim(0), C = x.dim(1), S = (N * C) == 0 ? 0 : x.numel() / (N * C);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<double>&scale = p[0], &bias = p[1], &mean = p[2], &var = p[3];
    const size_t np = scale.size();
    std::vector<double> bmean(np, 0.0), bvar(np, 0.0);
    const bool training = training_ && N * S > 0;
    if (training) {
      // Batch statistics per parameter slot, over the batch (and spatial dims when per channel).
      const double cnt = per_elem ? static_cast<double>(N) : static_cast<double>(N * S);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t s = 0; s < S; ++s) bmean[static_cast<size_t>(per_elem ? c * S + s : c)] += px[(n * C + c) * S + s];
      for (double& m : bmean) m /= cnt;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t s = 0; s < S; ++s) {
            const size_t k = static_cast<size_t>(per_elem ? c * S + s : c);
            const double d = px[(n * C + c) * S + s] - bmean[k];
            bvar[k] += d * d;
          }
      for (double& v : bvar) v /= cnt;
    }
    const std::vector<double>& um = training ? bmean : mean;
    const std::vector<double>& uv = training ? bvar : var;
    std::vector<double> a(np);
    for (size_t k = 0; k < np; ++k) a[k] = scale[k] / std::sqrt(uv[k] + static_cast<double>(eps_));
    nn_parallel_for(ctx, N * C, S, [&](int64_t b0, int64_t b1) {
      for (int64_t nc = b0; nc < b1; ++nc) {
        const int64_t c = nc % C;
        const T* xs = px + nc * S;
        T* ys = py + nc * S;
        for (int64_t s = 0; s < S; ++s) {
          const size_t k = static_cast<size_t>(per_elem ? c * S + s : c);
          ys[s] = static_cast<T>((xs[s] - um[k]) * a[k] + bias[k]);
        }
      }
    });
    // Training outputs: running mean, running var (then saved mean / var on old opsets).
    const std::vector<double>* outs[4] = {&mean, &var, &bmean, &bvar};
    for (int o = 1; o < ctx.num_outputs() && o <= 4; ++o) {
      if (!ctx.has_output(o)) continue;
      const Tensor& like = ctx.input(o <= 2 ? 2 + o : o);
      Tensor& t = ctx.alloc_output(o, like.dtype() == DType::kDouble ? DType::kDouble : DType::kFloat, like.shape());
      for (size_t k = 0; k < np; ++k) {
        double v = (*outs[o - 1])[k];
        if (o <= 2 && training) v = v * momentum_ + (o == 1 ? bmean[k] : bvar[k]) * (1.0 - momentum_);
        if (t.dtype() == DType::kDouble) {
          t.data<double>()[k] = v;
        } else {
          t.data<float>()[k] = static_cast<float>(v);
        }
      }
    }
  }

  float eps_, momentum_;
  bool training_;
};

}  // namespace

void register_BatchNormalization(KernelRegistry& r) {
  r.add({"", "BatchNormalization", 1, kOpsetMax, float_types(), factory_of<BatchNormKernel>()});
}

}  // namespace edge::rt
