// Backward of QuantizeLinear / DequantizeLinear with the straight-through estimator (STE),
// for quantization-aware training. Per tensor or per axis (`axis`, opset >= 13), any
// quantized type the runtime runs (uint8/int8; uint16/int16 from opset 21); float16/float64
// scales and inputs are read as float32. Zero points are not differentiable.
//
// DequantizeLinear  y = (x - zp) * s:
//   dx = dy * s            (x is an integer tensor; its "gradient" is float32 of x's shape, which
//                           a QuantizeLinear before it passes on to its float input)
//   ds = sum dy * (x - zp) (over the elements that use each scale: learned scales)
// QuantizeLinear    q = clamp(round(x / s) + zp, qmin, qmax):
//   dx = dy / s where round(x / s) + zp lies in [qmin, qmax], 0 where it was clamped
//   ds = -dy * x / s^2 there, 0 where clamped: the rounding is treated as the identity.
// Composed as the fake-quantizer x^ = DQ(Q(x)) with one shared scale this gives exactly the
// LSQ step-size gradient (Esser et al. 2019): dx^/ds = round(x/s) - x/s inside the range,
// qmin - zp or qmax - zp where clamped, and dx^/dx = 1 inside, 0 outside. LSQ's gradient
// scale 1/sqrt(N * qmax) is an optimizer choice and is not applied here.
#include <cmath>
#include <string>

#include "ir/status.h"
#include "runtime/kernels/reference/ctl_util.h"
#include "runtime/kernels/reference/qlinear_util.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// The quantized type of a QuantizeLinear: its zero point's, else output_dtype (opset 21), else uint8.
DType quantized_type(const GradContext& ctx) {
  if (ctx.has_input(2)) return ctx.input(2).dtype();
  const int64_t t = ctx.attrs->get_int("output_dtype", 0);
  return t == 0 ? DType::kUint8 : dtype_from_onnx(static_cast<int32_t>(t));
}

rt::CtlQuantLayout layout_of(const GradContext& ctx, const Tensor& x) {
  if (ctx.opset >= 21 && ctx.attrs->get_int("block_size", 0) != 0) {
    fail_unsupported(ctx.where() + ": backward of blocked quantization (block_size) is not supported");
  }
  return rt::ctl_quant_layout(ctx.where(), x, ctx.input(1), ctx.has_input(2) ? &ctx.input(2) : nullptr,
                              ctx.attrs->get_int("axis", 1), ctx.opset);
}

std::vector<int64_t> zero_points(const GradContext& ctx, int64_t n) {
  std::vector<int64_t> zp(static_cast<size_t>(n), 0);
  if (ctx.has_input(2)) {
    for (int64_t i = 0; i < n; ++i) zp[static_cast<size_t>(i)] = ctx.input(2).get_int64(i);
  }
  return zp;
}

void dequantize_linear_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor scale = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const rt::CtlQuantLayout l = layout_of(ctx, x);
  const float* s = scale.data<float>();
  const float* g = dy.data<float>();
  const auto zp = zero_points(ctx, scale.numel());
  const int64_t n = x.numel();
  if (ctx.wants_grad(0)) {
    Tensor dx(DType::kFloat, x.shape());
    float* d = dx.data<float>();
    for (int64_t i = 0; i < n; ++i) d[i] = g[i] * s[l.param(i)];
    ctx.set_grad(0, std::move(dx));
  }
  if (ctx.wants_grad(1)) {
    std::vector<double> acc(static_cast<size_t>(scale.numel()), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const size_t p = l.param(i);
      acc[p] += static_cast<double>(g[i]) * static_cast<double>(x.get_int64(i) - zp[p]);
    }
    Tensor& ds = ctx.grad(1);
    for (size_t p = 0; p < acc.size(); ++p) ds.data<float>()[p] = static_cast<float>(acc[p]);
  }
}

void quantize_linear_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor scale = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const rt::CtlQuantLayout l = layout_of(ctx, ctx.input(0));
  const DType qt = quantized_type(ctx);
  const auto lo = static_cast<double>(rt::q_min(qt)), hi = static_cast<double>(rt::q_max(qt));
  const float* xp = x.data<float>();
  const float* s = scale.data<float>();
  const float* g = dy.data<float>();
  const auto zp = zero_points(ctx, scale.numel());
  const bool want_x = ctx.wants_grad(0), want_s = ctx.wants_grad(1);
  float* dx = want_x ? ctx.grad(0).data<float>() : nullptr;
  std::vector<double> acc(static_cast<size_t>(scale.numel()), 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t p = l.param(i);
    const float v = xp[i] / s[p];  // divided in float32, as the forward kernel
    // The unclamped quantized value; bounded first so that q_round stays exact (as the forward).
    const double b = std::fmin(std::fmax(static_cast<double>(v), lo - static_cast<double>(zp[p]) - 1.0),
                               hi - static_cast<double>(zp[p]) + 1.0);
    const double r = rt::q_round(b) + static_cast<double>(zp[p]);
    if (!(r >= lo && r <= hi)) continue;  // clamped (or NaN): no gradient
    if (want_x) dx[i] = g[i] / s[p];
    if (want_s) acc[p] -= static_cast<double>(g[i]) * static_cast<double>(xp[i]) / (static_cast<double>(s[p]) * s[p]);
  }
  if (want_s) {
    Tensor& ds = ctx.grad(1);
    for (size_t p = 0; p < acc.size(); ++p) ds.data<float>()[p] = static_cast<float>(acc[p]);
  }
}

}  // namespace

void register_qdq_grads(GradRegistry& r) {
  r.add({"", "DequantizeLinear", dequantize_linear_grad, {0, 1}, false});
  r.add({"", "QuantizeLinear", quantize_linear_grad, {0, 1}, false});
}

}  // namespace edge::train
