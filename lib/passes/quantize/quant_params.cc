#include "passes/quantize/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edge::pass::quant {

DType dtype_of(QType t) { return t == QType::kUint8 ? DType::kUint8 : DType::kInt8; }
int32_t qmin(QType t) { return t == QType::kUint8 ? 0 : -128; }
int32_t qmax(QType t) { return t == QType::kUint8 ? 255 : 127; }
const char* qtype_name(QType t) { return t == QType::kUint8 ? "u8" : "s8"; }

namespace {

// Smallest scale used: a constant-zero tensor still gets a valid (positive) scale.
constexpr double kMinScale = 1e-12;

int32_t saturate(double q, int32_t lo, int32_t hi) {
  if (std::isnan(q)) return 0;
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(lo), static_cast<double>(hi)));
}

// Zero point placing real 0 exactly on the grid [lo_q, hi_q] for range [lo, hi].
int32_t zero_point_for(double lo, float scale, int32_t lo_q, int32_t hi_q) {
  return saturate(std::nearbyint(lo_q - lo / static_cast<double>(scale)), lo_q, hi_q);
}

}  // namespace

QParams range_params(double lo, double hi, QType type) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QParams p;
  p.type = type;
  const double span = hi - lo;
  p.scale = span > kMinScale ? static_cast<float>(span / (qmax(type) - qmin(type))) : 1.f;
  p.zero_point = zero_point_for(lo, p.scale, qmin(type), qmax(type));
  return p;
}

Tensor scale_tensor(const QParams& p) { return Tensor::scalar<float>(p.scale); }

Tensor zero_point_tensor(const QParams& p) {
  if (p.type == QType::kUint8) return Tensor::scalar<uint8_t>(static_cast<uint8_t>(p.zero_point));
  return Tensor::scalar<int8_t>(static_cast<int8_t>(p.zero_point));
}

Tensor quantize_tensor(const Tensor& x, const QParams& p) {
  Tensor out(dtype_of(p.type), x.shape());
  const float* src = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    // float32 division, as QuantizeLinear computes it.
    const int32_t q =
        saturate(std::nearbyint(static_cast<double>(src[i] / p.scale)) + p.zero_point, qmin(p.type), qmax(p.type));
    if (p.type == QType::kUint8) {
      out.data<uint8_t>()[i] = static_cast<uint8_t>(q);
    } else {
      out.data<int8_t>()[i] = static_cast<int8_t>(q);
    }
  }
  return out;
}

bool QuantizedWeight::symmetric() const {
  return std::all_of(zero_points.begin(), zero_points.end(), [](int8_t z) { return z == 0; });
}

Tensor QuantizedWeight::scale() const {
  if (axis < 0) return Tensor::scalar<float>(scales.at(0));
  return Tensor::from_vector<float>({static_cast<int64_t>(scales.size())}, scales);
}

Tensor QuantizedWeight::zero_point() const {
  if (axis < 0) return Tensor::scalar<int8_t>(zero_points.at(0));
  return Tensor::from_vector<int8_t>({static_cast<int64_t>(zero_points.size())}, zero_points);
}

QuantizedWeight quantize_weight(const Tensor& w, int axis, const WeightOptions& o) {
  QuantizedWeight out;
  out.axis = o.per_channel && axis >= 0 && axis < w.rank() ? axis : -1;
  const Shape& s = w.shape();
  // Element e belongs to slice (e / inner) % n along the axis.
  int64_t n = 1, inner = w.numel();
  if (out.axis >= 0) {
    n = s[static_cast<size_t>(out.axis)];
    inner = 1;
    for (size_t d = static_cast<size_t>(out.axis) + 1; d < s.size(); ++d) inner *= s[d];
  }
  const float* src = w.data<float>();
  std::vector<double> lo(static_cast<size_t>(n), 0.0), hi(static_cast<size_t>(n), 0.0);
  for (int64_t e = 0; e < w.numel(); ++e) {
    const size_t c = static_cast<size_t>((e / inner) % n);
    lo[c] = std::min(lo[c], static_cast<double>(src[e]));
    hi[c] = std::max(hi[c], static_cast<double>(src[e]));
  }
  const int32_t sym_max = o.reduce_range ? 63 : 127;
  const int32_t q_lo = o.symmetric ? -sym_max : (o.reduce_range ? -64 : -128);
  const int32_t q_hi = o.symmetric ? sym_max : (o.reduce_range ? 63 : 127);
  out.scales.resize(static_cast<size_t>(n));
  out.zero_points.resize(static_cast<size_t>(n));
  for (size_t c = 0; c < static_cast<size_t>(n); ++c) {
    if (o.symmetric) {
      const double m = std::max(-lo[c], hi[c]);
      out.scales[c] = m > kMinScale ? static_cast<float>(m / sym_max) : 1.f;
      out.zero_points[c] = 0;
    } else {
      const double span = hi[c] - lo[c];
      out.scales[c] = span > kMinScale ? static_cast<float>(span / (q_hi - q_lo)) : 1.f;
      out.zero_points[c] = static_cast<int8_t>(zero_point_for(lo[c], out.scales[c], q_lo, q_hi));
    }
  }
  out.values = Tensor(DType::kInt8, s);
  int8_t* dst = out.values.data<int8_t>();
  for (int64_t e = 0; e < w.numel(); ++e) {
    const size_t c = static_cast<size_t>((e / inner) % n);
    const double q = std::nearbyint(static_cast<double>(src[e] / out.scales[c])) + out.zero_points[c];
    dst[e] = static_cast<int8_t>(saturate(q, q_lo, q_hi));
  }
  return out;
}

Tensor QuantizedBias::scale() const {
  return Tensor::from_vector<float>({static_cast<int64_t>(scales.size())}, scales);
}

Tensor QuantizedBias::zero_point() const { return Tensor(DType::kInt32, {static_cast<int64_t>(scales.size())}); }

QuantizedBias quantize_bias(const Tensor& bias, int64_t channels, float in_scale, const std::vector<float>& w_scales) {
  if (bias.numel() != 1 && bias.numel() != channels) {
    fail_internal("bias of " + std::to_string(bias.numel()) + " values for " + std::to_string(channels) + " channels");
  }
  QuantizedBias out;
  out.values = Tensor(DType::kInt32, {channels});
  out.scales.resize(static_cast<size_t>(channels));
  const int32_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  for (int64_t c = 0; c < channels; ++c) {
    const float s = in_scale * w_scales[static_cast<size_t>(c) % w_scales.size()];
    out.scales[static_cast<size_t>(c)] = s;
    const double q = std::nearbyint(bias.get_double(bias.numel() == 1 ? 0 : c) / static_cast<double>(s));
    if (q < lo || q > hi) ++out.saturated;
    out.values.data<int32_t>()[c] = saturate(q, lo, hi);
  }
  return out;
}

void ErrorStats::add(const float* ref, const float* approx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double r = ref[i], d = r - static_cast<double>(approx[i]);
    signal += r * r;
    noise += d * d;
  }
  count += n;
}

double ErrorStats::sqnr_db() const {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

double ErrorStats::mse() const { return count ? noise / static_cast<double>(count) : 0.0; }

}  // namespace edge::pass::quant
