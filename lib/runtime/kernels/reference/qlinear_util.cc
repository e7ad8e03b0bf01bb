// Helpers shared by the integer kernels (see qlinear_util.h).
#include "runtime/kernels/reference/qlinear_util.h"

#include <algorithm>
#include <limits>

namespace edge::rt {

bool q_is_8bit(DType t) { return t == DType::kUint8 || t == DType::kInt8; }

int32_t q_min(DType t) {
  switch (t) {
    case DType::kInt8:
      return std::numeric_limits<int8_t>::min();
    case DType::kInt16:
      return std::numeric_limits<int16_t>::min();
    default:
      return 0;
  }
}

int32_t q_max(DType t) {
  switch (t) {
    case DType::kUint8:
      return std::numeric_limits<uint8_t>::max();
    case DType::kInt8:
      return std::numeric_limits<int8_t>::max();
    case DType::kUint16:
      return std::numeric_limits<uint16_t>::max();
    case DType::kInt16:
      return std::numeric_limits<int16_t>::max();
    default:
      return 0;
  }
}

void q_require_8bit(const std::string& where, const Tensor& t, const char* what) {
  if (!q_is_8bit(t.dtype())) {
    fail_unsupported(where + ": " + what + " must be uint8 or int8, got " + t.describe());
  }
}

namespace {

float checked_scale(const std::string& where, float v, const char* what) {
  if (!(v > 0.f) || !std::isfinite(v)) {
    fail(where + ": " + what + " must be finite and positive, got " + std::to_string(v));
  }
  return v;
}

int32_t zp_value(const Tensor& zp, int64_t i) {
  return zp.dtype() == DType::kUint8 ? zp.data<uint8_t>()[i] : zp.data<int8_t>()[i];
}

void check_zp_type(const std::string& where, const Tensor& zp, DType type, const char* what) {
  if (zp.dtype() != type) {
    fail(where + ": " + what + " zero point " + zp.describe() + " must have the quantized type " + dtype_name(type));
  }
  if (!q_is_8bit(type))
    fail_unsupported(where + ": " + what + " zero point type " + dtype_name(type) + " is not supported");
}

}  // namespace

float q_scalar_scale(const std::string& where, const Tensor& s, const char* what) {
  if (s.dtype() != DType::kFloat || s.numel() != 1 || s.rank() > 1) {
    fail(where + ": " + what + " scale must be a float32 scalar, got " + s.describe());
  }
  return checked_scale(where, s.data<float>()[0], what);
}

int32_t q_scalar_zero_point(const std::string& where, const Tensor* zp, DType type, const char* what) {
  if (!zp) return 0;
  check_zp_type(where, *zp, type, what);
  if (zp->numel() != 1 || zp->rank() > 1)
    fail(where + ": " + what + " zero point must be a scalar, got " + zp->describe());
  return zp_value(*zp, 0);
}

void q_channel_scales(const std::string& where, const Tensor& s, int64_t channels, const char* what,
                      std::vector<float>& out) {
  if (s.dtype() != DType::kFloat || s.rank() > 1 || (s.numel() != 1 && s.numel() != channels)) {
    fail(where + ": " + what + " scale must be a float32 scalar or have " + std::to_string(channels) + " values, got " +
         s.describe());
  }
  out.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    out[static_cast<size_t>(c)] = checked_scale(where, s.data<float>()[s.numel() == 1 ? 0 : c], what);
  }
}

void q_channel_zero_points(const std::string& where, const Tensor* zp, DType type, int64_t channels, const char* what,
                           std::vector<int32_t>& out) {
  out.assign(static_cast<size_t>(channels), 0);
  if (!zp) return;
  check_zp_type(where, *zp, type, what);
  if (zp->rank() > 1 || (zp->numel() != 1 && zp->numel() != channels)) {
    fail(where + ": " + what + " zero point must be a scalar or have " + std::to_string(channels) + " values, got " +
         zp->describe());
  }
  for (int64_t c = 0; c < channels; ++c) out[static_cast<size_t>(c)] = zp_value(*zp, zp->numel() == 1 ? 0 : c);
}

int32_t q_quantize_value(float v, float scale, int32_t zero_point, DType t) {
  return q_round_clamp(static_cast<double>(v / scale), zero_point, q_min(t), q_max(t));
}

void q_bias_to_acc(const std::string& where, const Tensor& bias, const Tensor* scale, const Tensor* zero_point,
                   float x_scale, const std::vector<float>& w_scales, int64_t channels, std::vector<int32_t>& out) {
  const int64_t n = bias.numel();
  const bool is_int = bias.dtype() == DType::kInt32;
  if ((!is_int && bias.dtype() != DType::kFloat) || (n != 1 && n != channels) || (is_int != (scale != nullptr))) {
    fail(where + ": bias " + bias.describe() + " must be float32, or int32 with a scale, with 1 or " +
         std::to_string(channels) + " values");
  }
  auto per = [&](const Tensor* t, const char* what) {
    if (t && (t->numel() != 1 && t->numel() != n))
      fail(where + ": bias " + what + " " + t->describe() + " does not fit");
  };
  per(scale, "scale");
  per(zero_point, "zero point");
  if (scale && scale->dtype() != DType::kFloat) fail(where + ": bias scale must be float32, got " + scale->describe());
  if (zero_point && zero_point->dtype() != DType::kInt32) {
    fail(where + ": bias zero point must be int32, got " + zero_point->describe());
  }
  auto at = [](const Tensor* t, int64_t i) { return t->numel() == 1 ? 0 : i; };
  out.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t i = n == 1 ? 0 : c;
    const float ws = w_scales[w_scales.size() == 1 ? 0 : static_cast<size_t>(c)];
    float real;
    if (is_int) {
      const int32_t b = bias.data<int32_t>()[i];
      const int32_t z = zero_point ? zero_point->data<int32_t>()[at(zero_point, i)] : 0;
      const float s = scale->data<float>()[at(scale, i)];
      if (z == 0 && s == x_scale * ws) {  // already in accumulator units
        out[static_cast<size_t>(c)] = b;
        continue;
      }
      real = static_cast<float>(static_cast<int64_t>(b) - z) * s;
    } else {
      real = bias.data<float>()[i];
    }
    const double v = std::nearbyint(static_cast<double>(real) / (static_cast<double>(x_scale) * ws));
    if (!(std::fabs(v) <= 2147483647.0)) fail(where + ": bias value " + std::to_string(real) + " does not fit int32");
    out[static_cast<size_t>(c)] = static_cast<int32_t>(v);
  }
}

QActivation QActivation::parse(const KernelInit& init) {
  QActivation a;
  const std::string name = init.attrs.get_string("activation", "");
  const std::vector<float> p = init.attrs.get_floats("activation_params");
  if (name.empty()) return a;
  if (name == "Relu") {
    a.kind = kRelu;
  } else if (name == "Clip" && p.size() == 2 && !(p[0] > p[1])) {
    a = {kClip, p[0], p[1]};
  } else {
    fail(init.where() + ": unknown fused activation '" + name + "' (with " + std::to_string(p.size()) + " parameters)");
  }
  return a;
}

void QActivation::range(float y_scale, int32_t y_zero_point, DType type, int32_t* out_lo, int32_t* out_hi) const {
  *out_lo = q_min(type);
  *out_hi = q_max(type);
  if (kind == kRelu) {
    *out_lo = std::max(*out_lo, y_zero_point);
  } else if (kind == kClip) {
    // Bounds beyond the type's range (Clip(-inf, 6), say) saturate to it.
    *out_lo = std::max(*out_lo, q_quantize_value(lo, y_scale, y_zero_point, type));
    *out_hi = std::min(*out_hi, q_quantize_value(hi, y_scale, y_zero_point, type));
  }
}

}  // namespace edge::rt
