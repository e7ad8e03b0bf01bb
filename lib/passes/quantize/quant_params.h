// Affine 8-bit quantization: real = scale * (q - zero_point).
//
// Activations are asymmetric (uint8, or int8 when asked) over a calibrated range that
// always contains 0, so that 0 (zero padding, ReLU's floor) is exact. Weights are int8,
// symmetric by default (zero point 0, grid [-127, 127]; [-63, 63] with reduce_range), per
// output channel or per tensor. A bias is int32 with scale = input scale x weight scale of
// its channel and zero point 0, so that it adds straight into the int32 accumulator.
// Rounding is half to even, as QuantizeLinear does.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::pass::quant {

enum class QType { kUint8, kInt8 };
DType dtype_of(QType t);
int32_t qmin(QType t);
int32_t qmax(QType t);
const char* qtype_name(QType t);  // "u8", "s8"

struct QParams {
  float scale = 1.f;
  int32_t zero_point = 0;
  QType type = QType::kUint8;
};

// Parameters mapping [lo, hi] (widened to contain 0) onto the whole grid of `type`.
QParams range_params(double lo, double hi, QType type);

// The scalar scale and zero point tensors of `p` (float32 and uint8/int8, rank 0).
Tensor scale_tensor(const QParams& p);
Tensor zero_point_tensor(const QParams& p);
// x (float32) quantized with p: saturate(round(x / scale) + zero_point).
Tensor quantize_tensor(const Tensor& x, const QParams& p);

struct WeightOptions {
  bool per_channel = true;
  bool symmetric = true;
  bool reduce_range = false;  // 7-bit weights, for CPUs whose u8 x s8 products saturate in int16
};

struct QuantizedWeight {
  Tensor values;                    // int8, the weight's shape
  std::vector<float> scales;        // one per slice of `axis`, or one
  std::vector<int8_t> zero_points;  // parallel to scales (all 0 when symmetric)
  int axis = -1;                    // -1: per tensor
  bool symmetric() const;           // every zero point is 0
  Tensor scale() const;             // float32 [n] (per axis) or scalar
  Tensor zero_point() const;        // int8 [n] or scalar
};

// Quantizes a float32 weight per slice of `axis` (-1 or per_channel off: per tensor).
QuantizedWeight quantize_weight(const Tensor& w, int axis, const WeightOptions& o);

// int32 bias of `channels` values: b[c] / (in_scale * w.scales[c % n]), rounded, saturated.
// `bias` may hold 1 value (broadcast to every channel) or `channels` values. Returns the
// values and, in `scales`, the scale of every channel; `saturated` counts clamped values.
struct QuantizedBias {
  Tensor values;              // int32 [channels]
  std::vector<float> scales;  // [channels]
  int64_t saturated = 0;
  Tensor scale() const;       // float32 [channels]
  Tensor zero_point() const;  // int32 [channels] zeros
};
QuantizedBias quantize_bias(const Tensor& bias, int64_t channels, float in_scale, const std::vector<float>& w_scales);

// Signal-to-quantization-noise ratio in dB of `approx` against `ref` (same size), and
// their mean squared difference. SQNR is +inf for identical tensors.
struct ErrorStats {
  double signal = 0, noise = 0;  // sums of ref^2 and (ref - approx)^2
  int64_t count = 0;
  void add(const float* ref, const float* approx, int64_t n);
  double sqnr_db() const;
  double mse() const;
};

}  // namespace edge::pass::quant
