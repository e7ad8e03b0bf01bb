// QLinearConv: convolution of quantized tensors (ai.onnx, opset 10):
//   inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
//   y_zero_point[, B] y = saturate(round_half_even((conv(x - x_zp, w - w_zp) +
//   B) * x_scale * w_scale / y_scale)
//       + y_zero_point)
// with int32 accumulation (IntConvCore: im2col + linalg::igemm_s16, weights
// widened once at preparation when constant), w_scale and w_zero_point per
// tensor or per output channel, and B int32 with scale x_scale * w_scale and
// zero point 0. The requantization multiplies in float32, as ONNX Runtime does
// (q_requantize_row). The output type is y_zero_point's (uint8 when omitted).
// The same kernel runs the QDQ fusion's form in the runtime's private domain
// (qdq_fusion.h), whose `activation` attributes narrow the output range and
// whose bias may be real-valued (qlinear_conv_params.h).
#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/int_conv.h"
#include "runtime/kernels/reference/qlinear_conv_params.h"

namespace edge::rt {
namespace {

class QLinearConvKernel : public OpKernel {
 public:
  explicit QLinearConvKernel(const KernelInit& init) : core_(init, 3, 5), params_(init) {}

  std::string algorithm() const override { return core_.algorithm() + params_.activation().suffix(); }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Shape out = core_.begin_run(ctx, x, ctx.input(3), ctx.has_input(5) ? &ctx.input(5) : nullptr);
    const int64_t M = core_.out_channels();
    const QConvOutput o = params_.resolve(ctx, M);
    Tensor& y = ctx.alloc_output(0, o.y_type, out);
    if (y.numel() == 0) return;
    const int64_t N = out[0], G = core_.groups(), Mg = M / G, on = core_.out_numel();
    const size_t work_bytes = (static_cast<size_t>(core_.work_elems()) * sizeof(int16_t) + 63) / 64 * 64;
    char* scratch = static_cast<char*>(ctx.scratch(work_bytes + static_cast<size_t>(Mg * on) * sizeof(int32_t)));
    int16_t* work = reinterpret_cast<int16_t*>(scratch);
    int32_t* acc = reinterpret_cast<int32_t*>(scratch + work_bytes);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < G; ++g) {
        core_.run_group(ctx, x, o.x_zero_point, n, g, work, acc);
        for (int64_t r = 0; r < Mg; ++r) {
          const int64_t m = g * Mg + r;
          const int32_t b = o.bias ? o.bias[m] : 0;
          const float mult = o.multiplier[m];
          const int64_t base = (n * M + m) * on;
          if (o.y_type == DType::kUint8) {
            q_requantize_row(acc + r * on, on, b, mult, o.y_zero_point, o.lo, o.hi, y.data<uint8_t>() + base);
          } else {
            q_requantize_row(acc + r * on, on, b, mult, o.y_zero_point, o.lo, o.hi, y.data<int8_t>() + base);
          }
        }
      }
    }
  }

 private:
  IntConvCore core_;
  QConvOutputParams params_;
};

}  // namespace

void register_QLinearConv(KernelRegistry& r) {
  r.add({"", "QLinearConv", 10, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearConvKernel>()});
  r.add({kFusedDomain, "QLinearConv", 1, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearConvKernel>()});
}

}  // namespace edge::rt
