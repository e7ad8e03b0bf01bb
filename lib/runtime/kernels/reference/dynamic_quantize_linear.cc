// DynamicQuantizeLinear (ai.onnx, opset 11): uint8 quantization of a float32 tensor with
// parameters computed from its range, which is widened to include 0:
//   y_scale = (max(x_max, 0) - min(x_min, 0)) / 255
//   y_zero_point = round_half_even(saturate(0 - x_min / y_scale))
//   y = saturate(round_half_even(x / y_scale) + y_zero_point)
// computed in float32 as the spec's formulas. An all-zero (or empty) x gives y_scale 0,
// zero point 0 and y 0 (the formulas would divide by zero).
#include <cmath>

#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {

uint8_t saturate_u8(float v) { return static_cast<uint8_t>(v < 0.f ? 0.f : (v > 255.f ? 255.f : v)); }

void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat) fail_unsupported(ctx.where() + ": x must be float32, got " + x.describe());
  const float* px = x.data<float>();
  const int64_t n = x.numel();
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(px[i])) fail(ctx.where() + ": x holds NaN, which has no quantization range");
    lo = px[i] < lo ? px[i] : lo;
    hi = px[i] > hi ? px[i] : hi;
  }
  const float scale = (hi - lo) / 255.f;
  uint8_t zp = 0;
  if (scale > 0.f) {
    const float z = 0.f - lo / scale;
    zp = static_cast<uint8_t>(std::nearbyint(z < 0.f ? 0.f : (z > 255.f ? 255.f : z)));
  }
  Tensor& y = ctx.alloc_output(0, DType::kUint8, x.shape());
  uint8_t* py = y.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) py[i] = scale > 0.f ? saturate_u8(std::nearbyint(px[i] / scale) + zp) : 0;
  if (ctx.has_output(1)) ctx.alloc_output(1, DType::kFloat, {}).data<float>()[0] = scale;
  if (ctx.has_output(2)) ctx.alloc_output(2, DType::kUint8, {}).data<uint8_t>()[0] = zp;
}

}  // namespace

void register_DynamicQuantizeLinear(KernelRegistry& r) {
  r.add({"", "DynamicQuantizeLinear", 11, kOpsetMax, {DType::kFloat}, function_kernel(compute)});
}

}  // namespace edge::rt
