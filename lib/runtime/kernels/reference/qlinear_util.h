// Helpers shared by the integer (quantized) kernels: reading scales and zero points,
// quantizing one value as QuantizeLinear does, requantizing int32 accumulators, and the
// output clamp of an activation folded in by the QDQ fusion (qdq_fusion.h).
//
// Conventions (ONNX): real = scale * (q - zero_point); quantization rounds half to even and
// saturates to the integer type's range. Scales are float32; zero points have the quantized
// type (uint8 or int8 here), an omitted one is 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace edge::rt {

// True for uint8 and int8.
bool q_is_8bit(DType t);
// Range of a quantized type (uint8, int8, uint16, int16).
int32_t q_min(DType t);
int32_t q_max(DType t);
// Throws unless `t` is uint8 or int8, naming `what` ("x", "w" ...).
void q_require_8bit(const std::string& where, const Tensor& t, const char* what);

// A per-tensor float32 scale (one element, rank 0 or 1) that is finite and positive.
float q_scalar_scale(const std::string& where, const Tensor& s, const char* what);
// A per-tensor zero point (nullptr: 0) of type `type`.
int32_t q_scalar_zero_point(const std::string& where, const Tensor* zp, DType type, const char* what);
// Per-channel parameters: a scalar (broadcast) or a 1-D tensor of `channels` values.
void q_channel_scales(const std::string& where, const Tensor& s, int64_t channels, const char* what,
                      std::vector<float>& out);
void q_channel_zero_points(const std::string& where, const Tensor* zp, DType type, int64_t channels, const char* what,
                           std::vector<int32_t>& out);

// QuantizeLinear of one float32 value: saturate(round_half_even(v / scale) + zero_point).
int32_t q_quantize_value(float v, float scale, int32_t zero_point, DType t);

// round_half_even(v) for |v| < 2^51 without a libm call (std::nearbyint is one on baseline
// x86-64): adding and subtracting 1.5 * 2^52 leaves the nearest integer, ties to even, under the
// default rounding mode (the build does not allow the compiler to reassociate this away).
inline double q_round(double v) {
  constexpr double k = 6755399441055744.0;
  return (v + k) - k;
}

// round_half_even(v) + zero_point, clamped to [lo, hi] (the output range); NaN gives the zero
// point, as QuantizeLinear's reference does.
inline int32_t q_round_clamp(double v, int32_t zero_point, int32_t lo, int32_t hi) {
  // Bounded first: the result is clamped anyway, and q_round needs |v| < 2^51.
  const double a = static_cast<double>(lo) - zero_point - 1.0, b = static_cast<double>(hi) - zero_point + 1.0;
  v = v < a ? a : (v > b ? b : v);
  if (v != v) v = 0.0;
  const double r = q_round(v) + zero_point;
  return static_cast<int32_t>(r < lo ? lo : (r > hi ? hi : r));
}

// An int32 accumulator (real value acc * scale_in) requantized to the output: as the ONNX
// reference, round_half_even(acc * multiplier) + zero_point clamped to [lo, hi], where
// multiplier = scale_in / y_scale.
inline int32_t q_requantize(int64_t acc, double multiplier, int32_t zero_point, int32_t lo, int32_t hi) {
  return q_round_clamp(static_cast<double>(acc) * multiplier, zero_point, lo, hi);
}

// y[i] = clamp(round_half_even((acc[i] + bias) * multiplier) + zero_point, lo, hi) for a row of
// int32 accumulators, in float32 as ONNX Runtime requantizes (vectorizable; exact integers up
// to 2^24, beyond which the product is rounded before the final rounding). The sum with the
// bias wraps in 32 bits like the accumulation.
// One element of q_requantize_row: s = acc + bias (wrapped), a/b = the clamp before rounding
// (lo - zero_point - 1, hi - zero_point + 1), fz/flo/fhi = zero point and range as floats.
inline int32_t q_requantize_one(int32_t s, float multiplier, float a, float b, float fz, float flo, float fhi) {
  constexpr float k = 12582912.0f;  // 1.5 * 2^23: (v + k) - k rounds |v| < 2^22 half to even
  float v = static_cast<float>(s) * multiplier;
  v = v < a ? a : (v > b ? b : v);
  v = ((v + k) - k) + fz;
  v = v < flo ? flo : (v > fhi ? fhi : v);
  return static_cast<int32_t>(v);
}

inline int32_t q_wrap_add(int32_t x, int32_t y) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) + static_cast<uint32_t>(y));
}

template <typename T>
void q_requantize_row(const int32_t* acc, int64_t n, int32_t bias, float multiplier, int32_t zero_point, int32_t lo,
                      int32_t hi, T* y) {
  const float a = static_cast<float>(lo - zero_point - 1), b = static_cast<float>(hi - zero_point + 1);
  const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi), fz = static_cast<float>(zero_point);
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<T>(q_requantize_one(q_wrap_add(acc[i], bias), multiplier, a, b, fz, flo, fhi));
  }
}

// One output row of QLinearMatMul: y[n] = q_requantize(acc[n] + bias[n] (bias: nullptr for none,
// summed in 64 bits), a_scale * col_multiplier[n] (b_scale[n] / y_scale), ...).
template <typename T>
void q_matmul_requantize_row(const int32_t* acc, int64_t n, const int32_t* bias, double a_scale,
                             const double* col_multiplier, int32_t zero_point, int32_t lo, int32_t hi, T* y) {
  for (int64_t j = 0; j < n; ++j) {
    const int64_t s = static_cast<int64_t>(acc[j]) + (bias ? bias[j] : 0);
    y[j] = static_cast<T>(q_requantize(s, a_scale * col_multiplier[j], zero_point, lo, hi));
  }
}

// The bias of a QDQ-fused integer Conv/MatMul/Gemm in accumulator units (scale x_scale *
// w_scale[c], zero point 0): round_half_even(real / (x_scale * w_scale[c])), where real is
// (bias - zero_point) * scale for an int32 bias (dequantized in float32, as DequantizeLinear) or
// the float32 bias itself. `bias` has one value (broadcast) or `channels`; scale and zero point
// one or one per channel. An int32 bias with zero point 0 whose scale is exactly the float32
// product x_scale * w_scale[c] (as quantizers write it) is taken as it is. Throws naming `where`
// for other types or shapes, or a value outside int32. w_scales: 1 or `channels` values.
void q_bias_to_acc(const std::string& where, const Tensor& bias, const Tensor* scale, const Tensor* zero_point,
                   float x_scale, const std::vector<float>& w_scales, int64_t channels, std::vector<int32_t>& out);

// An activation that the QDQ fusion folded into an integer node (attributes `activation` =
// "Relu" | "Clip" and `activation_params` = [min, max] in real units, as FusedConv), applied
// as a narrower output range: Relu clamps at the zero point, Clip at its quantized bounds.
// This is exact because quantization is monotonic.
struct QActivation {
  enum Kind { kNone, kRelu, kClip } kind = kNone;
  float lo = 0, hi = 0;

  static QActivation parse(const KernelInit& init);
  // The output range [*out_lo, *out_hi] for output parameters (y_scale, y_zero_point, type).
  void range(float y_scale, int32_t y_zero_point, DType type, int32_t* out_lo, int32_t* out_hi) const;
  std::string suffix() const { return kind == kRelu ? "+relu" : kind == kClip ? "+clip" : ""; }
};

}  // namespace edge::rt
