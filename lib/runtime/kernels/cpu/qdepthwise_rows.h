// The loops of the cpu depthwise QLinearConv kernel (qlinear_conv_depthwise.cc): per channel
// plane (few channels), and channels-last rows (8 or more channels) compiled for AVX2 (chosen at
// run time) and the baseline ISA. Each is bit-identical to the reference kernel.
#pragma once

#include <cstdint>

#include "runtime/kernels/reference/qlinear_conv_params.h"

namespace edge::rt::qdw {

struct PlaneGeom {
  int64_t H, W, Hp, Wp, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
};

// Channels-last rows [r0, r1) of one image: xs is the padded NHWC int16 copy (x - x_zero_point),
// wt the weights as [tap][channel]; every output position sums its taps across all channels at
// once (vectorized over channels), then requantizes them into y (NCHW: channel stride `on`).
struct RowsJob {
  const PlaneGeom* g;
  int64_t C;
  const int16_t* xs;
  const int16_t* wt;
  const int64_t* tap;    // element offsets of the taps in xs
  const int16_t* wpair;  // C % 16 == 0: the weights by tap pairs, interleaved for vpmaddwd (else nullptr)
  const QConvOutput* o;
  void* y;  // this image's output
  bool y_signed;
};

// acc[OH * OW] = sum over taps of w[t] * xp[window] for one padded int16 plane (Hp x Wp).
void plane_sums_avx2(const PlaneGeom& g, const int16_t* xp, const int16_t* w, uint32_t* acc);
void plane_sums_generic(const PlaneGeom& g, const int16_t* xp, const int16_t* w, uint32_t* acc);

// Output rows [r0, r1) of j's image; acc: 2 * OW * C values of work space.
void nhwc_rows_avx2(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc);
void nhwc_rows_generic(const RowsJob& j, int64_t r0, int64_t r1, uint32_t* acc);

// RowsJob::wpair for C % 16 == 0 on AVX2 hosts: its size for T taps, and wt [T][C] interleaved.
int64_t interleaved_size(int64_t T, int64_t C);
void interleaved_weights(const int16_t* wt, int64_t T, int64_t C, int16_t* out);

bool has_avx2();

}  // namespace edge::rt::qdw
