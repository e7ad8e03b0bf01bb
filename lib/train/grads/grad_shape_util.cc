#include "train/grads/grad_shape_util.h"

#include <algorithm>
#include <string>

#include "ir/status.h"

namespace edge::train {

int64_t grad_axis(const GradContext& ctx, int64_t axis, int rank, const char* what) {
  if (axis < -rank || axis >= std::max(rank, 1)) {
    fail(ctx.where() + ": " + what + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

AxisSplit split_at_axis(const Shape& shape, int64_t axis) {
  AxisSplit s;
  for (size_t d = 0; d < shape.size(); ++d) {
    const auto sd = static_cast<int64_t>(d);
    if (sd < axis) s.outer *= shape[d];
    if (sd == axis) s.dim = shape[d];
    if (sd > axis) s.inner *= shape[d];
  }
  return s;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  const size_t rank = out.size();
  if (in.size() > rank) fail_internal("broadcast_strides: input has more dims than the output");
  const size_t off = rank - in.size();
  std::vector<int64_t> s(rank, 0);
  int64_t stride = 1;
  for (size_t k = in.size(); k-- > 0;) {
    const int64_t d = in[k];
    if (d != 1 && d != out[k + off]) fail_internal("broadcast_strides: input does not broadcast to the output");
    s[k + off] = d == 1 ? 0 : stride;
    stride *= d;
  }
  return s;
}

Tensor broadcast_to(const Tensor& t, const Shape& out) {
  if (t.shape() == out) return t;
  Tensor r(DType::kFloat, out);
  const float* src = t.data<float>();
  float* dst = r.data<float>();
  for_each_broadcast(out, broadcast_strides(t.shape(), out), [&](int64_t i, int64_t off) { dst[i] = src[off]; });
  return r;
}

std::vector<int64_t> ints_of(const Tensor& t) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.get_int64(i);
  return v;
}

}  // namespace edge::train
