// AVX-512 depthwise 2-D convolution with 16 channels on the vector lanes.
//
// The per-plane depthwise kernel (kernels/cpu/conv_depthwise.cc) pays a fixed cost per
// channel plane (copies and short loops), which dominates on small maps with many channels
// (128 channels of 4x4: about 38 ns a plane). Here each block of 16 channels of one image is
// transposed once into a zero-padded channels-last buffer [Hp][Wp][16] (16 x 16 register
// transposes), every output position sums its taps as full 16-channel vectors (8 positions at
// a time), and the channels-last result is transposed back with bias, residual and the
// caller's activation (c16::write_channels_first). Each output is summed over the taps in
// order with one fused multiply-add per tap, from +0.
#pragma once

#include <cmath>
#include <cstdint>

namespace edge::rt::linalg::dw16 {

struct Geometry {
  int64_t C, H, W, KH, KW, sh, sw, dh, dw, ph, pw, OH, OW;
  int64_t Hp, Wp;  // padded extent the windows read (>= H + ph, W + pw)
};

// Scratch floats for one 16-channel block (64-byte aligned by the caller).
int64_t scratch_floats(const Geometry& g);

// One image's channels [c0, c0 + 16) (those below C): x [C][H][W], w [C][KH * KW], bias [C] or
// null, z (residual, [C][OH][OW]) or null, y [C][OH][OW]; lo/hi: the clamp of
// c16::write_channels_first (a Relu or Clip activation; the defaults apply none).
void run_block(const Geometry& g, int64_t c0, const float* x, const float* w, const float* bias, const float* z,
               float* y, float* scratch, float lo = -INFINITY, float hi = INFINITY);

}  // namespace edge::rt::linalg::dw16
