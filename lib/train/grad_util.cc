#include "train/grad_util.h"

#include <algorithm>

#include "ir/status.h"
#include "runtime/kernels/reference/broadcast.h"

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
  // The trailing dims that are all kept or all summed form one contiguous block of B
  // elements, handled by a tight loop; the outer dims are walked in row-major order.
  const Shape& gs = g.shape();
  int k = rank;
  int kind = -1;  // 1: the block is kept, 0: it is summed; -1: only size-1 dims so far
  while (k > 0) {
    const size_t d = static_cast<size_t>(k - 1);
    if (gs[d] != 1) {
      const int dk = target[d] == gs[d] ? 1 : 0;
      if (kind >= 0 && dk != kind) break;
      kind = dk;
    }
    --k;
  }
  int64_t block = 1;
  for (int d = k; d < rank; ++d) block *= gs[static_cast<size_t>(d)];
  const Shape outer_g(gs.begin(), gs.begin() + k), outer_t(target.begin(), target.begin() + k);
  if (kind == 1) {
    rt::for_each_broadcast<1>(outer_g, {outer_t}, [&](int64_t i, const int64_t* at) {
      add_into(o + at[0] * block, src + i * block, block);
    });
  } else {
    rt::for_each_broadcast<1>(outer_g, {outer_t}, [&](int64_t i, const int64_t* at) {
      const float* p = src + i * block;
      float part[8] = {};  // eight running sums: independent adds, a fixed order
      int64_t j = 0;
      for (; j + 8 <= block; j += 8) {
        for (int l = 0; l < 8; ++l) part[l] += p[j + l];
      }
      float sum = 0.f;
      for (; j < block; ++j) sum += p[j];
      for (int l = 0; l < 8; ++l) sum += part[l];
      o[at[0]] += sum;
    });
  }
  return out;
}

}  // namespace edge::train
