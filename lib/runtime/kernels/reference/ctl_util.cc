// Shared helpers of the control group: conversions between tensors and double buffers.
#include "runtime/kernels/reference/ctl_util.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace edge::rt {

bool ctl_is_float(DType t) { return t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16; }

std::vector<double> ctl_read_doubles(const Tensor& t) {
  std::vector<double> out;
  ctl_read_doubles(t, out);
  return out;
}

void ctl_read_doubles(const Tensor& t, std::vector<double>& out) {
  const auto n = static_cast<size_t>(t.numel());
  out.resize(n);
  if (t.dtype() == DType::kFloat16) {
    const auto* p = static_cast<const uint16_t*>(t.raw());
    for (size_t i = 0; i < n; ++i) out[i] = half_to_float(p[i]);
    return;
  }
  if (!dispatch_numeric(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* p = static_cast<const T*>(t.raw());
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(p[i]);
      })) {
    fail_unsupported("cannot read elements of type " + dtype_name(t.dtype()) + " as numbers");
  }
}

void ctl_write_doubles(Tensor& t, const std::vector<double>& v) {
  const auto n = static_cast<size_t>(t.numel());
  if (v.size() != n) fail_internal("ctl_write_doubles: size mismatch");
  if (t.dtype() == DType::kFloat16) {
    auto* p = static_cast<uint16_t*>(t.raw());
    for (size_t i = 0; i < n; ++i) p[i] = float_to_half(static_cast<float>(v[i]));
    return;
  }
  if (!dispatch_numeric(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* p = static_cast<T*>(t.raw());
        if constexpr (std::is_floating_point_v<T>) {
          for (size_t i = 0; i < n; ++i) p[i] = static_cast<T>(v[i]);
        } else if constexpr (std::is_same_v<T, bool>) {
          for (size_t i = 0; i < n; ++i) p[i] = v[i] != 0;
        } else {
          const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
          const double hi = static_cast<double>(std::numeric_limits<T>::max());
          for (size_t i = 0; i < n; ++i) {
            double r = std::nearbyint(v[i]);
            if (std::isnan(r)) r = 0;
            if (r <= lo) {
              p[i] = std::numeric_limits<T>::lowest();
            } else if (r >= hi) {
              p[i] = std::numeric_limits<T>::max();
            } else {
              p[i] = static_cast<T>(r);
            }
          }
        }
      })) {
    fail_unsupported("cannot write elements of type " + dtype_name(t.dtype()));
  }
}

CtlQuantLayout ctl_quant_layout(const std::string& where, const Tensor& x, const Tensor& scale, const Tensor* zp,
                                int64_t axis, int opset) {
  if (!ctl_is_float(scale.dtype())) fail(where + ": scale must be a float tensor, got " + scale.describe());
  if (zp && zp->shape() != scale.shape()) {
    fail(where + ": zero point " + zp->describe() + " and scale " + scale.describe() + " differ in shape");
  }
  CtlQuantLayout l;
  if (scale.numel() == 1 && scale.rank() <= 1) return l;
  if (opset < 13 || scale.rank() != 1) {
    fail(where + ": scale must be a scalar" + std::string(opset >= 13 ? " or 1-D" : "") + ", got " + scale.describe());
  }
  const int64_t r = x.rank();
  if (axis < -r || axis >= r) {
    fail(where + ": axis " + std::to_string(axis) + " is out of range for input " + x.describe());
  }
  if (axis < 0) axis += r;
  if (scale.numel() != x.dim(static_cast<int>(axis))) {
    fail(where + ": scale " + scale.describe() + " does not match dimension " + std::to_string(axis) + " of " +
         x.describe());
  }
  l.channels = scale.numel();
  for (int64_t d = axis + 1; d < r; ++d) l.inner *= x.dim(static_cast<int>(d));
  return l;
}

void ctl_check_buffer(const std::string& where, int64_t n) {
  if (n < 0 || static_cast<uint64_t>(n) > max_tensor_bytes() / sizeof(double)) {
    throw Error(ErrorCode::kResourceLimit, where + ": a working buffer of " + std::to_string(n) +
                                               " values is above the tensor size limit");
  }
}

}  // namespace edge::rt
