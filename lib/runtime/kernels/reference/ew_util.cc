// Non-template helpers of the element-wise kernels (see ew_util.h).
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {

void ew_check_type(const KernelContext& ctx, DType t, const std::vector<DType>& allowed, const char* what) {
  if (std::find(allowed.begin(), allowed.end(), t) == allowed.end()) {
    fail_unsupported(ctx.where() + ": " + what + " type " + dtype_name(t) + " is not supported");
  }
}

std::vector<DType> ew_signed_types() {
  return {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt8,
          DType::kInt16, DType::kInt32,  DType::kInt64};
}

Tensor ew_to_float(const Tensor& t) {
  if (t.dtype() != DType::kFloat16) return t;
  Tensor out(DType::kFloat, t.shape());
  const auto* src = static_cast<const uint16_t*>(t.raw());
  float* dst = out.data<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
  return out;
}

Tensor ew_to_half(const Tensor& t) {
  Tensor out(DType::kFloat16, t.shape());
  const float* src = t.data<float>();
  auto* dst = static_cast<uint16_t*>(out.raw());
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
  return out;
}

}  // namespace edge::rt

namespace edge::rt {

EwLegacyBroadcast::EwLegacyBroadcast(const KernelInit& init) : opset_(init.opset) {
  if (opset_ >= 7) return;
  broadcast_ = init.attrs.get_int("broadcast", 0) != 0;
  has_axis_ = init.attrs.has("axis");
  axis_ = init.attrs.get_int("axis", 0);
}

Tensor EwLegacyBroadcast::rhs(const KernelContext& ctx, const Tensor& a, const Tensor& b) const {
  if (opset_ >= 7) return b;
  if (!broadcast_) {
    if (a.shape() != b.shape()) {
      fail(ctx.where() + ": shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
           " differ and broadcast is not set");
    }
    return b;
  }
  const int64_t ra = a.rank();
  const int64_t rb = b.rank();
  if (rb > ra) fail(ctx.where() + ": B " + b.describe() + " has a higher rank than A " + a.describe());
  int64_t axis = has_axis_ ? axis_ : ra - rb;
  if (axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra) {
    fail(ctx.where() + ": axis " + std::to_string(axis_) + " does not fit B " + b.describe() + " into A " + a.describe());
  }
  for (int64_t i = 0; i < rb; ++i) {
    int64_t db = b.shape()[static_cast<size_t>(i)];
    if (db != 1 && db != a.shape()[static_cast<size_t>(axis + i)]) {
      fail(ctx.where() + ": B " + b.describe() + " does not match A " + a.describe() + " at axis " + std::to_string(axis));
    }
  }
  Shape s = b.shape();
  s.resize(static_cast<size_t>(ra - axis), 1);
  return b.reshaped(s);
}

}  // namespace edge::rt
