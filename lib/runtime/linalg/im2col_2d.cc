// im2col for 2-D convolutions: whole output rows at a time, with the valid column range of
// each kernel offset computed once, so the copy is a memcpy (unit stride) or a strided loop.
// The 8-bit form writes int16 values minus the zero point (igemm_s16's operand form).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "runtime/linalg/gemm.h"
#include "runtime/linalg/igemm.h"

namespace edge::rt::linalg {

namespace {
// Calls emit(k, row) for each patch-matrix row k, `row` pointing at its OH*OW values (written
// into dest(k)). Source S, destination D: a copy for float, x - zero_point for 8-bit x.
template <typename S, typename D, typename Dest, typename Emit>
void im2col_rows(const S* x, const Conv2dGeom& g, int32_t zero_point, Dest dest, Emit emit) {
  for (int64_t c = 0; c < g.C; ++c) {
    const S* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t k = (c * g.KH + kh) * g.KW + kw;
        D* row = dest(k);
        const int64_t base = kw * g.dw - g.pw;  // input column of output column 0
        int64_t lo, hi;
        g.inside_columns(base, g.OW, &lo, &hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          D* dst = row + oh * g.OW;
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + g.OW, D(0));
            continue;
          }
          const S* src = xc + ih * g.W + base;
          std::fill(dst, dst + lo, D(0));
          if constexpr (std::is_same_v<S, D>) {
            if (g.sw == 1) {
              std::memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(D));
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.sw];
            }
          } else {
            if (g.sw == 1) {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = static_cast<D>(src[ow] - zero_point);
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = static_cast<D>(src[ow * g.sw] - zero_point);
            }
          }
          std::fill(dst + hi, dst + g.OW, D(0));
        }
        emit(k, row);
      }
    }
  }
}
}  // namespace

void im2col_2d(const float* x, const Conv2dGeom& g, float* col) {
  const int64_t on = g.OH * g.OW;
  im2col_rows<float, float>(
      x, g, 0, [&](int64_t k) { return col + k * on; }, [](int64_t, const float*) {});
}

void im2col_2d_packed(const float* x, const Conv2dGeom& g, const PackedA& a, float* packed, float* row) {
  const int64_t on = g.OH * g.OW;
  im2col_rows<float, float>(
      x, g, 0, [&](int64_t) { return row; }, [&](int64_t k, const float* r) { pack_b_row(a, on, k, r, packed); });
}

template <typename T>
void im2col_2d_s16(const T* x, int32_t zero_point, const Conv2dGeom& g, int16_t* col) {
  const int64_t on = g.OH * g.OW;
  im2col_rows<T, int16_t>(
      x, g, zero_point, [&](int64_t k) { return col + k * on; }, [](int64_t, const int16_t*) {});
}
template void im2col_2d_s16(const uint8_t*, int32_t, const Conv2dGeom&, int16_t*);
template void im2col_2d_s16(const int8_t*, int32_t, const Conv2dGeom&, int16_t*);

}  // namespace edge::rt::linalg
