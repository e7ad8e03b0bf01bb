// QLinearMatMul (ai.onnx, opset 10): numpy.matmul of quantized tensors,
//   inputs a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
//   y = saturate(round_half_even(acc * a_scale * b_scale / y_scale) + y_zero_point)
// where acc is the int32 product of (a - a_zp) and (b - b_zp) (int_matmul.h); a's parameters
// per tensor or per row, b's per tensor or per column, y's per tensor. The output type is
// y_zero_point's (uint8 when omitted).
//
// The QDQ fusion (qdq_fusion.h) emits the same op in the runtime's private domain for
// MatMul and Gemm: an optional bias [N] (input 8: float32, or int32 with its scale and zero
// point as inputs 9 and 10, converted to accumulator units by q_bias_to_acc, once when
// constant; a and b per tensor / per column then), attribute transB (B stored [N, K], as
// Gemm's) and the `activation` attributes that narrow the output range.
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/int_matmul.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

class QLinearMatMulKernel : public OpKernel {
 public:
  explicit QLinearMatMulKernel(const KernelInit& init)
      : core_(init, 3, 5, init.attrs.get_int("transB", 0) != 0), act_(QActivation::parse(init)) {
    bias_const_ = true;
    for (int i : {1, 4, 8, 9, 10}) {
      const bool given = init.has_input(i);
      bias_const_ = bias_const_ && (!given || init.constant(i));
    }
  }

  std::string algorithm() const override { return "igemm" + act_.suffix(); }

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor* a_zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const Tensor* b_zp = ctx.has_input(5) ? &ctx.input(5) : nullptr;
    const Tensor* y_zp = ctx.has_input(7) ? &ctx.input(7) : nullptr;
    const Tensor* bias = ctx.has_input(8) ? &ctx.input(8) : nullptr;
    const Shape out = core_.begin_run(ctx, a, a_zp, ctx.input(3), b_zp);
    const int64_t M = core_.M(), N = core_.N();
    for (int i : {1, 4, 6}) {
      if (ctx.input(i).dtype() != DType::kFloat)
        fail(ctx.where() + ": scales must be float32, got " + ctx.input(i).describe());
    }
    core_.rows_of_a(ctx.where(), &ctx.input(1), 1.0, "a_scale", a_scale_);
    core_.cols_of_b(ctx.where(), &ctx.input(4), 1.0, "b_scale", col_mult_);
    const float ys = q_scalar_scale(ctx.where(), ctx.input(6), "y");
    for (double& c : col_mult_) c /= static_cast<double>(ys);  // b_scale / y_scale
    const DType yt = y_zp ? y_zp->dtype() : DType::kUint8;
    if (!q_is_8bit(yt)) fail_unsupported(ctx.where() + ": y_zero_point must be uint8 or int8, got " + y_zp->describe());
    const int32_t yzp = q_scalar_zero_point(ctx.where(), y_zp, yt, "y");
    const int32_t* pb = nullptr;
    if (bias) {  // the fused form's bias, converted to accumulator units (once when constant)
      if (!bias_ready_) {
        const float as = q_scalar_scale(ctx.where(), ctx.input(1), "a");
        q_channel_scales(ctx.where(), ctx.input(4), N, "b", bs_);
        q_bias_to_acc(ctx.where(), *bias, ctx.has_input(9) ? &ctx.input(9) : nullptr,
                      ctx.has_input(10) ? &ctx.input(10) : nullptr, as, bs_, N, acc_bias_);
        bias_ready_ = bias_const_;
      }
      pb = acc_bias_.data();
    }
    int32_t lo, hi;
    act_.range(ys, yzp, yt, &lo, &hi);
    Tensor& y = ctx.alloc_output(0, yt, out);
    if (y.numel() == 0) return;
    int32_t* acc = static_cast<int32_t*>(ctx.scratch(static_cast<size_t>(y.numel()) * sizeof(int32_t)));
    core_.run(ctx, acc);
    for (int64_t i = 0; i < core_.batches(); ++i) {
      const double* sa = a_scale_.data() + core_.a_batch(i) * M;
      const double* cb = col_mult_.data() + core_.b_batch(i) * N;
      for (int64_t m = 0; m < M; ++m) {
        const int64_t base = (i * M + m) * N;
        if (yt == DType::kUint8) {
          q_matmul_requantize_row(acc + base, N, pb, sa[m], cb, yzp, lo, hi, y.data<uint8_t>() + base);
        } else {
          q_matmul_requantize_row(acc + base, N, pb, sa[m], cb, yzp, lo, hi, y.data<int8_t>() + base);
        }
      }
    }
  }

 private:
  IntMatMulCore core_;
  QActivation act_;
  std::vector<double> a_scale_, col_mult_;  // run state, reused
  std::vector<float> bs_;
  bool bias_const_ = false, bias_ready_ = false;
  std::vector<int32_t> acc_bias_;
};

}  // namespace

void register_QLinearMatMul(KernelRegistry& r) {
  r.add({"", "QLinearMatMul", 10, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearMatMulKernel>()});
  r.add(
      {kFusedDomain, "QLinearMatMul", 1, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearMatMulKernel>()});
}

}  // namespace edge::rt
