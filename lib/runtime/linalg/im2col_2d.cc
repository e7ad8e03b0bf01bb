// im2col for 2-D convolutions: whole output rows at a time, with the valid column range of
// each kernel offset computed once, so the copy is a memcpy (unit stride) or a strided loop.
#include <algorithm>
#include <cstring>

#include "runtime/linalg/gemm.h"

namespace edge::rt::linalg {

namespace {
// Calls emit(k, row) for each patch-matrix row k, `row` pointing at its OH*OW values (written
// into dest(k)).
template <typename Dest, typename Emit>
void im2col_rows(const float* x, const Conv2dGeom& g, Dest dest, Emit emit) {
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t k = (c * g.KH + kh) * g.KW + kw;
        float* row = dest(k);
        const int64_t base = kw * g.dw - g.pw;  // input column of output column 0
        int64_t lo = base >= 0 ? 0 : (-base + g.sw - 1) / g.sw;
        int64_t hi = g.W - 1 - base < 0 ? 0 : (g.W - 1 - base) / g.sw + 1;
        lo = std::min(lo, g.OW);
        hi = std::clamp(hi, lo, g.OW);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          float* dst = row + oh * g.OW;
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + g.OW, 0.f);
            continue;
          }
          const float* src = xc + ih * g.W + base;
          std::fill(dst, dst + lo, 0.f);
          if (g.sw == 1) {
            std::memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.sw];
          }
          std::fill(dst + hi, dst + g.OW, 0.f);
        }
        emit(k, row);
      }
    }
  }
}
}  // namespace

void im2col_2d(const float* x, const Conv2dGeom& g, float* col) {
  const int64_t on = g.OH * g.OW;
  im2col_rows(x, g, [&](int64_t k) { return col + k * on; }, [](int64_t, const float*) {});
}

void im2col_2d_packed(const float* x, const Conv2dGeom& g, const PackedA& a, float* packed, float* row) {
  const int64_t on = g.OH * g.OW;
  im2col_rows(x, g, [&](int64_t) { return row; },
              [&](int64_t k, const float* r) { pack_b_row(a, on, k, r, packed); });
}

}  // namespace edge::rt::linalg
