// AVX-512 planes of an 8-bit depthwise convolution, positions on the lanes: one channel plane
// at a time, straight from the NCHW input (no channels-last copy, no transposed stores), for
// the wide maps of early layers. The plane is widened once to int16 x - x_zero_point inside a
// zero border; one 32-value load of a row then holds the (x[i], x[i + 1]) pairs that vpmaddwd
// multiplies by a pair of horizontally adjacent weights, so each output sums two taps per
// instruction with no shuffles: with horizontal stride 2 the loads at kw give 16 outputs, with
// stride 1 the loads at kw and kw + 1 give the even and the odd outputs. Vertical strides and
// dilations are free (rows are picked by index); horizontal dilation must be 1. The int32 sums
// (exact, wrapping like the reference's) are requantized as q_requantize_row does and written
// as bytes, so the results are bit-identical to the reference kernel. x86-64 with AVX-512F, BW
// and VL only: supported() says whether this CPU runs it.
#pragma once

#include <cstdint>

namespace edge::rt::linalg::qdwp {

bool supported();
// Tests: while on, the kernel takes its channels-last rows instead (to compare them on one host).
void force_off(bool on);
bool forced_off();
// Whether the geometry suits it: horizontal stride 1 or 2, horizontal dilation 1.
bool accepts(int64_t sw, int64_t dw);

struct Geometry {
  int64_t H, W, OH, OW, KH, KW, sh, sw, dh, pt, pl;
};

// int16 values of work space one plane needs.
int64_t scratch_values(const Geometry& g);

// One channel plane: x [H][W] 8-bit (int8 when x_signed) with zero point zx; w [KH * KW] int16
// (w - w_zero_point); the sums plus bias requantized with multiplier into y [OH][OW] (bytes;
// zero point, range lo..hi).
struct Plane {
  const uint8_t* x;
  bool x_signed;
  int32_t zx;
  const int16_t* w;
  int32_t bias;
  float multiplier;
  int32_t zero_point, lo, hi;
  uint8_t* y;
};
void run_plane(const Geometry& g, const Plane& p, int16_t* scratch);

// With AVX-512 VNNI and weights that fit int8 (w - w_zero_point in [-128, 127]): four taps per
// vpdpbusd, straight on the bytes. The plane is copied as bytes (int8 read as uint8 x + 128)
// inside a border of the input zero point, so the zero point folds into the bias:
// sum (x - zx) * w = sum x * w - zx * sum w. A 64-byte load of a row at ow + r holds, in each
// int32 lane, the four horizontally adjacent inputs of output r + 4 j (stride 1; with stride 2
// the loads at 0 and 2 give the even and the odd outputs).
bool vnni_supported();
struct PlaneVnni {
  const uint8_t* x;
  uint8_t flip;     // 0x80 for int8 input, else 0
  int32_t zx;       // the zero point of the bytes as read (+ 128 for int8)
  const int8_t* w;  // [KH * KW]
  int32_t bias;     // with -zx * sum(w) folded in (wrapping)
  float multiplier;
  int32_t zero_point, lo, hi;
  uint8_t* y;
};
// Bytes of work space one plane needs.
int64_t vnni_scratch_bytes(const Geometry& g);
void run_plane_vnni(const Geometry& g, const PlaneVnni& p, uint8_t* scratch);

}  // namespace edge::rt::linalg::qdwp
