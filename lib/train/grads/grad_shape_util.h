// Index helpers shared by the backward kernels of grads/ (part B: softmax family, tensor
// shuffles, reductions, normalization, Q/DQ): axis normalization, outer/axis/inner splits,
// broadcast strides and a broadcast walk, and integer inputs read as int64 lists.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"
#include "train/grad_kernel.h"

namespace edge::train {

// `axis` in [-rank, rank) made non-negative; throws naming the node when out of range.
int64_t grad_axis(const GradContext& ctx, int64_t axis, int rank, const char* what = "axis");

// A shape seen as [outer, dim, inner] around `axis`.
struct AxisSplit {
  int64_t outer = 1, dim = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, int64_t axis);

// Strides of `in` (numpy-broadcast to `out`) in `out`'s rank: 0 where `in` is broadcast
// (size 1 or missing leading dim). Throws (internal) when `in` does not broadcast to `out`.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Calls fn(i, off) for every element i of `out` (row-major) with `off` the element's offset
// in a tensor of strides `strides` (from broadcast_strides). The innermost dim is a plain
// loop; the outer dims advance an odometer.
template <typename Fn>
void for_each_broadcast(const Shape& out, const std::vector<int64_t>& strides, Fn&& fn) {
  const int rank = static_cast<int>(out.size());
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  if (total == 0) return;
  if (rank == 0) {
    fn(int64_t{0}, int64_t{0});
    return;
  }
  const int64_t last = out[static_cast<size_t>(rank - 1)];
  const int64_t ls = strides[static_cast<size_t>(rank - 1)];
  std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
  int64_t base = 0;
  for (int64_t i = 0; i < total; i += last) {
    for (int64_t j = 0; j < last; ++j) fn(i + j, base + j * ls);
    for (int d = rank - 2; d >= 0; --d) {
      const auto ud = static_cast<size_t>(d);
      base += strides[ud];
      if (++idx[ud] < out[ud]) break;
      base -= strides[ud] * out[ud];
      idx[ud] = 0;
    }
  }
}

// A float32 tensor of shape `out` holding `t` (float32) numpy-broadcast to it.
Tensor broadcast_to(const Tensor& t, const Shape& out);

// The elements of an integer (or float) tensor as int64.
std::vector<int64_t> ints_of(const Tensor& t);

}  // namespace edge::train
