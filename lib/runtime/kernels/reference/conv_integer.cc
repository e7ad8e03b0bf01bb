// ConvInteger (ai.onnx, opset 10): y = conv(x - x_zero_point, w - w_zero_point) as int32,
// for uint8/int8 x and w; x_zero_point per tensor, w_zero_point per tensor or per output
// channel (both optional, default 0). Groups, strides, dilations, pads and auto_pad as Conv;
// padding reads x_zero_point. Computed by IntConvCore (int_conv.h) straight into Y.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/int_conv.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

class ConvIntegerKernel : public OpKernel {
 public:
  explicit ConvIntegerKernel(const KernelInit& init) : core_(init, 1, 3) {}

  std::string algorithm() const override { return core_.algorithm(); }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor* x_zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const Tensor* w_zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
    const Shape out = core_.begin_run(ctx, x, ctx.input(1), w_zp);
    const int32_t xzp = q_scalar_zero_point(ctx.where(), x_zp, x.dtype(), "x");
    Tensor& y = ctx.alloc_output(0, DType::kInt32, out);
    if (y.numel() == 0) return;
    const int64_t N = out[0], M = core_.out_channels(), G = core_.groups(), on = core_.out_numel();
    int16_t* work = static_cast<int16_t*>(ctx.scratch(static_cast<size_t>(core_.work_elems()) * sizeof(int16_t)));
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < G; ++g) {
        core_.run_group(ctx, x, xzp, n, g, work, y.data<int32_t>() + (n * M + g * (M / G)) * on);
      }
    }
  }

 private:
  IntConvCore core_;
};

}  // namespace

void register_ConvInteger(KernelRegistry& r) {
  r.add({"", "ConvInteger", 10, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<ConvIntegerKernel>()});
}

}  // namespace edge::rt
