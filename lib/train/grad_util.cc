#include "train/grad_util.h"

#include <algorithm>

#include "ir/status.h"

namespace edge::train {

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * shape[static_cast<size_t>(i) + 1];
  }
  return s;
}

Tensor zeros_f32(const Shape& shape) { return Tensor(DType::kFloat, shape); }

Tensor as_float(const Tensor& t) {
  if (t.dtype() == DType::kFloat) return t;
  Tensor out(DType::kFloat, t.shape());
  float* o = out.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) o[i] = static_cast<float>(t.get_double(i));
  return out;
}

void add_into(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

Tensor reduce_to_shape(const Tensor& grad, const Shape& shape) {
  const Tensor g = as_float(grad);
  if (g.shape() == shape) return g;
  const int rank = g.rank();
  const int off = rank - static_cast<int>(shape.size());
  if (off < 0) fail_internal("reduce_to_shape: " + g.describe() + " has fewer dims than the target");
  // The target shape padded with leading 1s to grad's rank.
  Shape target(static_cast<size_t>(rank), 1);
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = shape[i];
    if (d != 1 && d != g.shape()[i + static_cast<size_t>(off)]) {
      fail_internal("reduce_to_shape: cannot reduce " + g.describe() + " to a broadcast input");
    }
    target[i + static_cast<size_t>(off)] = d;
  }
  Tensor out(DType::kFloat, shape);
  float* o = out.data<float>();
  const float* src = g.data<float>();
  const auto tstr = strides_of(target);
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < g.numel(); ++i) {
    int64_t t = 0;
    for (int d = 0; d < rank; ++d) {
      if (target[static_cast<size_t>(d)] != 1) t += idx[static_cast<size_t>(d)] * tstr[static_cast<size_t>(d)];
    }
    o[t] += src[i];
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[static_cast<size_t>(d)] < g.shape()[static_cast<size_t>(d)]) break;
      idx[static_cast<size_t>(d)] = 0;
    }
  }
  return out;
}

}  // namespace edge::train
