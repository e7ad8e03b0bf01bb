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

// round_half_even(v) + zero_point, clamped to [lo, hi] (the output range).
inline int32_t q_round_clamp(double v, int32_t zero_point, int32_t lo, int32_t hi) {
  v = std::nearbyint(v) + zero_point;
  v = v < lo ? lo : (v > hi ? hi : v);
  return static_cast<int32_t>(v);
}

// An int32 accumulator (real value acc * scale_in) requantized to the output: as the ONNX
// reference, round_half_even(acc * multiplier) + zero_point clamped to [lo, hi], where
// multiplier = scale_in / y_scale.
inline int32_t q_requantize(int64_t acc, double multiplier, int32_t zero_point, int32_t lo, int32_t hi) {
  return q_round_clamp(static_cast<double>(acc) * multiplier, zero_point, lo, hi);
}

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
