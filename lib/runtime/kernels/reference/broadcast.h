// Numpy-style (multidirectional) broadcasting helpers shared by element-wise kernels.
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace edge::rt {

// Broadcast shape of several shapes; throws naming `where` when incompatible.
Shape broadcast_shapes(std::initializer_list<Shape> shapes, const std::string& where);
Shape broadcast_shapes(const std::vector<Shape>& shapes, const std::string& where);

// Strides (in elements) of `in` viewed with the rank of `out`: 0 on broadcast dims.
Shape broadcast_strides(const Shape& in, const Shape& out);

// Calls f(out_index, in_offsets...) for every element of `out`, where in_offsets[k] is the
// flat element offset into input k. Iterates in row-major order, the innermost dimension in
// a tight loop. No allocation (shapes of rank <= 8 live inline).
template <size_t N, typename F>
void for_each_broadcast(const Shape& out, const std::array<Shape, N>& ins, F&& f) {
  const int rank = static_cast<int>(out.size());
  const int64_t total = shape_numel(out);
  if (total == 0) return;
  std::array<Shape, N> strides;
  bool all_same = true;
  for (size_t k = 0; k < N; ++k) {
    strides[k] = broadcast_strides(ins[k], out);
    all_same = all_same && ins[k] == out;
  }
  int64_t off[N] = {};
  if (all_same || rank == 0) {
    for (int64_t i = 0; i < total; ++i) {
      for (size_t k = 0; k < N; ++k) off[k] = i;
      f(i, off);
    }
    return;
  }
  const size_t last = static_cast<size_t>(rank - 1);
  const int64_t inner = out[last];
  int64_t step[N];
  for (size_t k = 0; k < N; ++k) step[k] = strides[k][last];
  Shape idx(last, 0);
  for (int64_t i = 0; i < total; i += inner) {
    int64_t o[N];
    for (size_t k = 0; k < N; ++k) o[k] = off[k];
    for (int64_t j = 0; j < inner; ++j) {
      f(i + j, o);
      for (size_t k = 0; k < N; ++k) o[k] += step[k];
    }
    for (int d = rank - 2; d >= 0; --d) {
      const size_t ud = static_cast<size_t>(d);
      if (++idx[ud] < out[ud]) {
        for (size_t k = 0; k < N; ++k) off[k] += strides[k][ud];
        break;
      }
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][ud] * (out[ud] - 1);
      idx[ud] = 0;
    }
  }
}

// out = f(a, b) with broadcasting; A, B input element types, R output element type.
template <typename A, typename B, typename R, typename F>
void binary_broadcast(const Tensor& a, const Tensor& b, Tensor& out, F&& f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  R* po = out.data<R>();
  for_each_broadcast<2>(out.shape(), {a.shape(), b.shape()},
                        [&](int64_t i, const int64_t* off) { po[i] = f(pa[off[0]], pb[off[1]]); });
}

}  // namespace edge::rt
