// im2col / col2im over any number of spatial dims, for Conv and ConvTranspose (no allocation).
// Geometry: a window sweep (NnSpatial) from an image of size g.in to g.out positions.
// The column matrix has C * prod(kernel) rows (channel-major, then kernel positions in
// row-major order) and prod(g.out) columns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {

namespace nn_detail {
// Visits every row of the sweep for column-matrix row r: fn(dst_offset_in_row, src_row_offset,
// lo, hi, base) where positions ow in [lo, hi) of the last dim read input index ow*s + base of
// the image row at src_row_offset; src_row_offset < 0 marks a row entirely outside.
template <typename F>
void for_each_row(const NnSpatial& g, int64_t kidx, F&& fn) {
  const int R = g.rank();
  Shape kofs(static_cast<size_t>(R));
  for (int d = R - 1; d >= 0; --d) {
    const size_t ud = static_cast<size_t>(d);
    kofs[ud] = kidx % g.kernel[ud];
    kidx /= g.kernel[ud];
  }
  const size_t L = static_cast<size_t>(R - 1);
  const int64_t W = g.in[L], OW = g.out[L], s = g.stride[L];
  const int64_t base = kofs[L] * g.dil[L] - g.pad_begin[L];
  // ow*s + base >= 0  and  ow*s + base <= W - 1
  int64_t lo = base >= 0 ? 0 : (-base + s - 1) / s;
  int64_t hi = (W - 1 - base) < 0 ? 0 : (W - 1 - base) / s + 1;
  lo = std::min(lo, OW);
  hi = std::clamp(hi, lo, OW);
  const int64_t outer = OW == 0 ? 0 : g.out_numel() / OW;
  Shape oidx(L, 0);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t off = 0;
    bool valid = true;
    for (size_t d = 0; d < L; ++d) {
      int64_t ic = oidx[d] * g.stride[d] - g.pad_begin[d] + kofs[d] * g.dil[d];
      if (ic < 0 || ic >= g.in[d]) valid = false;
      off = off * g.in[d] + ic;
    }
    fn(o * OW, valid ? off * W : -1, lo, hi, base);
    for (size_t d = L; d-- > 0;) {
      if (++oidx[d] < g.out[d]) break;
      oidx[d] = 0;
    }
  }
}
}  // namespace nn_detail

// Fills rows [r0, r1) of the column matrix from image x (C x prod(g.in)).
template <typename T>
void nn_im2col(const T* x, const NnSpatial& g, int64_t r0, int64_t r1, T* col) {
  const int64_t kprod = g.kernel_numel(), in_n = g.in_numel(), out_n = g.out_numel();
  const int64_t s = g.stride.back(), OW = g.out.back();
  for (int64_t r = r0; r < r1; ++r) {
    const T* xc = x + (r / kprod) * in_n;
    T* dst = col + r * out_n;
    nn_detail::for_each_row(g, r % kprod, [&](int64_t d0, int64_t src, int64_t lo, int64_t hi, int64_t base) {
      T* drow = dst + d0;
      if (src < 0) {
        std::fill(drow, drow + OW, T(0));
        return;
      }
      const T* xr = xc + src;
      std::fill(drow, drow + lo, T(0));
      if (s == 1) {
        for (int64_t ow = lo; ow < hi; ++ow) drow[ow] = xr[ow + base];
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) drow[ow] = xr[ow * s + base];
      }
      std::fill(drow + hi, drow + OW, T(0));
    });
  }
}

// Adds rows [r0, r1) of the column matrix into image y (C x prod(g.in)); rows are visited
// in order, so splitting work by whole channels keeps the result deterministic.
template <typename T>
void nn_col2im(const T* col, const NnSpatial& g, int64_t r0, int64_t r1, T* y) {
  const int64_t kprod = g.kernel_numel(), in_n = g.in_numel(), out_n = g.out_numel();
  const int64_t s = g.stride.back();
  for (int64_t r = r0; r < r1; ++r) {
    T* yc = y + (r / kprod) * in_n;
    const T* src = col + r * out_n;
    nn_detail::for_each_row(g, r % kprod, [&](int64_t d0, int64_t dst, int64_t lo, int64_t hi, int64_t base) {
      if (dst < 0) return;
      const T* srow = src + d0;
      T* yr = yc + dst;
      for (int64_t ow = lo; ow < hi; ++ow) yr[ow * s + base] += srow[ow];
    });
  }
}

}  // namespace edge::rt
