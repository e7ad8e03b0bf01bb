// Dropout: identity in inference (output = data, mask all true). From opset 12, with the
// training_mode input true and ratio > 0, each element is kept with probability 1 - ratio
// and scaled by 1 / (1 - ratio). The draws are those of numpy's legacy RandomState seeded
// with the `seed` attribute (0 when absent): uniform(0, 1) per element in row-major order,
// kept when >= ratio; so results are reproducible. Before opset 10 the mask has the data's
// type (1 = kept), from opset 10 it is bool.
#include <random>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class DropoutKernel : public OpKernel {
 public:
  explicit DropoutKernel(const KernelInit& init)
      : seed_(init.attrs.get_int("seed", 0)), ratio_attr_(init.attrs.get_float("ratio", 0.5f)) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    nn_require_float(ctx, x);
    double ratio = ratio_attr_;
    bool training = false;
    if (ctx.opset >= 12) {
      ratio = ctx.has_input(1) ? input_scalar(ctx, 1) : 0.5;
      training = ctx.has_input(2) && input_scalar(ctx, 2) != 0.0;
    }
    if (training && (ratio < 0.0 || ratio > 1.0)) fail(ctx.where() + ": ratio must be in [0, 1)");
    const bool want_mask = ctx.num_outputs() > 1 && ctx.has_output(1);
    const DType mask_t = ctx.opset >= 10 ? DType::kBool : x.dtype();
    if (!training || ratio == 0.0) {
      ctx.outputs[0] = x.reshaped(x.shape());
      if (want_mask) fill_mask(ctx.alloc_output(1, mask_t, x.shape()), nullptr);
      return;
    }
    std::vector<uint8_t> keep(static_cast<size_t>(x.numel()));
    std::mt19937 gen(static_cast<uint32_t>(seed_));
    for (auto& k : keep) {
      const uint32_t a = gen() >> 5, b = gen() >> 6;
      const double u = (a * 67108864.0 + b) / 9007199254740992.0;
      k = u >= ratio ? 1 : 0;
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.dtype() == DType::kFloat) {
      apply<float>(x, y, keep, ratio);
    } else {
      apply<double>(x, y, keep, ratio);
    }
    if (want_mask) fill_mask(ctx.alloc_output(1, mask_t, x.shape()), &keep);
  }

 private:
  static double input_scalar(const KernelContext& ctx, int i) {
    const Tensor& t = ctx.input(i);
    if (t.numel() != 1) fail(ctx.where() + ": input " + std::to_string(i) + " must be a scalar");
    if (t.dtype() == DType::kBool) return t.data<bool>()[0] ? 1.0 : 0.0;
    return t.get_double(0);
  }

  template <typename T>
  static void apply(const Tensor& x, Tensor& y, const std::vector<uint8_t>& keep, double ratio) {
    const T scale = ratio >= 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - ratio));
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = keep[static_cast<size_t>(i)] ? px[i] * scale : T(0);
  }

  static void fill_mask(Tensor& m, const std::vector<uint8_t>* keep) {
    for (int64_t i = 0; i < m.numel(); ++i) {
      const bool k = keep ? (*keep)[static_cast<size_t>(i)] != 0 : true;
      switch (m.dtype()) {
        case DType::kBool: m.data<bool>()[i] = k; break;
        case DType::kFloat: m.data<float>()[i] = k ? 1.f : 0.f; break;
        case DType::kDouble: m.data<double>()[i] = k ? 1.0 : 0.0; break;
        default: break;
      }
    }
  }

  int64_t seed_;
  float ratio_attr_;
};

}  // namespace

void register_Dropout(KernelRegistry& r) {
  r.add({"", "Dropout", 1, kOpsetMax, float_types(), factory_of<DropoutKernel>()});
}

}  // namespace edge::rt
