// QLinearConv: convolution of quantized tensors (ai.onnx, opset 10):
//   inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point[, B]
//   y = saturate(round_half_even((conv(x - x_zp, w - w_zp) + B) * x_scale * w_scale / y_scale)
//       + y_zero_point)
// with int32 accumulation (IntConvCore: im2col + linalg::igemm_s16, weights widened once at
// preparation when constant), w_scale and w_zero_point per tensor or per output channel, and
// B int32 with scale x_scale * w_scale and zero point 0. The requantization multiplies in
// float32, as ONNX Runtime does (q_requantize_row). The output type is y_zero_point's
// (uint8 when omitted). The same kernel runs the QDQ fusion's form in the runtime's private
// domain (qdq_fusion.h), whose `activation` attributes narrow the output range and whose bias
// may be real-valued: input 8 float32, or int32 with its scale (input 9) and zero point
// (input 10), converted to accumulator units (q_bias_to_acc) once when constant.
#include <algorithm>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/int_conv.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

class QLinearConvKernel : public OpKernel {
 public:
  explicit QLinearConvKernel(const KernelInit& init)
      : core_(init, 3, 5), act_(QActivation::parse(init)), fused_(init.node.domain() == kFusedDomain) {
    // The fused form's real-valued bias is converted once when everything it needs is constant.
    bias_const_ = true;
    for (int i : {1, 4, 8, 9, 10}) {
      const bool given = i < init.node.input_size() && !init.node.input(i).empty();
      bias_const_ = bias_const_ && (!given || init.constant(i));
    }
  }

  std::string algorithm() const override { return core_.algorithm() + act_.suffix(); }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(3);
    const Tensor* w_zp = ctx.has_input(5) ? &ctx.input(5) : nullptr;
    const Tensor* y_zp = ctx.has_input(7) ? &ctx.input(7) : nullptr;
    const Tensor* bias = ctx.has_input(8) ? &ctx.input(8) : nullptr;
    const Tensor* bias_scale = fused_ && ctx.has_input(9) ? &ctx.input(9) : nullptr;
    const Shape out = core_.begin_run(ctx, x, w, w_zp);
    const int64_t M = core_.out_channels();
    const float xs = q_scalar_scale(ctx.where(), ctx.input(1), "x");
    const int32_t xzp = q_scalar_zero_point(ctx.where(), ctx.has_input(2) ? &ctx.input(2) : nullptr, x.dtype(), "x");
    q_channel_scales(ctx.where(), ctx.input(4), M, "w", ws_);
    const float ys = q_scalar_scale(ctx.where(), ctx.input(6), "y");
    const DType yt = y_zp ? y_zp->dtype() : DType::kUint8;
    if (!q_is_8bit(yt)) fail_unsupported(ctx.where() + ": y_zero_point must be uint8 or int8, got " + y_zp->describe());
    const int32_t yzp = q_scalar_zero_point(ctx.where(), y_zp, yt, "y");
    const int32_t* pb = nullptr;
    if (bias && fused_ && (bias_scale || bias->dtype() == DType::kFloat)) {
      if (!bias_ready_) {
        q_bias_to_acc(ctx.where(), *bias, bias_scale, ctx.has_input(10) ? &ctx.input(10) : nullptr, xs, ws_, M,
                      acc_bias_);
        bias_ready_ = bias_const_;
      }
      pb = acc_bias_.data();
    } else if (bias) {
      if (bias->dtype() != DType::kInt32 || bias->rank() != 1 || bias->dim(0) != M) {
        fail(ctx.where() + ": B must be int32 of shape [" + std::to_string(M) + "], got " + bias->describe());
      }
      pb = bias->data<int32_t>();
    }
    mult_.resize(static_cast<size_t>(M));
    for (int64_t m = 0; m < M; ++m) {
      mult_[static_cast<size_t>(m)] =
          static_cast<float>(static_cast<double>(xs) * ws_[static_cast<size_t>(m)] / static_cast<double>(ys));
    }
    int32_t lo, hi;
    act_.range(ys, yzp, yt, &lo, &hi);
    Tensor& y = ctx.alloc_output(0, yt, out);
    if (y.numel() == 0) return;
    const int64_t N = out[0], G = core_.groups(), Mg = M / G, on = core_.out_numel();
    const size_t work_bytes = (static_cast<size_t>(core_.work_elems()) * sizeof(int16_t) + 63) / 64 * 64;
    char* scratch = static_cast<char*>(ctx.scratch(work_bytes + static_cast<size_t>(Mg * on) * sizeof(int32_t)));
    int16_t* work = reinterpret_cast<int16_t*>(scratch);
    int32_t* acc = reinterpret_cast<int32_t*>(scratch + work_bytes);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < G; ++g) {
        core_.run_group(ctx, x, xzp, n, g, work, acc);
        for (int64_t r = 0; r < Mg; ++r) {
          const int64_t m = g * Mg + r;
          const int32_t b = pb ? pb[m] : 0;
          const float mult = mult_[static_cast<size_t>(m)];
          const int64_t base = (n * M + m) * on;
          if (yt == DType::kUint8) {
            q_requantize_row(acc + r * on, on, b, mult, yzp, lo, hi, y.data<uint8_t>() + base);
          } else {
            q_requantize_row(acc + r * on, on, b, mult, yzp, lo, hi, y.data<int8_t>() + base);
          }
        }
      }
    }
  }

 private:
  IntConvCore core_;
  QActivation act_;
  std::vector<float> ws_;    // per output channel (run state, reused)
  std::vector<float> mult_;  // x_scale * w_scale[m] / y_scale
  bool fused_;               // the QDQ fusion's form (qdq_fusion.h)
  bool bias_const_ = false, bias_ready_ = false;
  std::vector<int32_t> acc_bias_;  // the fused form's bias in accumulator units
};

}  // namespace

void register_QLinearConv(KernelRegistry& r) {
  r.add({"", "QLinearConv", 10, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearConvKernel>()});
  r.add({kFusedDomain, "QLinearConv", 1, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearConvKernel>()});
}

}  // namespace edge::rt
