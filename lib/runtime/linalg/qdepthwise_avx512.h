// AVX-512 rows of an 8-bit depthwise convolution in the channels-last layout of the cpu
// QLinearConv kernel (kernels/cpu/qlinear_conv_depthwise.cc): the input is one image copied as
// int16 x - x_zero_point into a zero-bordered NHWC buffer. A tile is 8 consecutive output
// positions of one row x 32 channels; the kernel's taps go in pairs, and one vpmaddwd adds both
// taps' products for 16 channels (the two taps' inputs interleaved by vpunpck{l,h}wd, the
// weights interleaved the same way once at preparation), so the int32 sums of a tile stay in 16
// registers for the whole window. They are requantized in registers as q_requantize_row does
// (float32 multiply, clamp, round half to even, zero point, clamp) and written to the NCHW
// output by 8 x 8 byte transposes, one 8-byte store per channel. Bit-identical to the reference
// kernel: the sums wrap in 32 bits like its accumulation, and every pair sum is exact.
// x86-64 with AVX-512F, BW and VL only; supported() says whether this CPU runs it.
#pragma once

#include <cstdint>
#include <vector>

namespace edge::rt::linalg::qdw512 {

bool supported();
// Tests: while on, the kernel runs its AVX2/portable rows instead (to compare them on one host).
void force_off(bool on);
bool forced_off();

// The weights as the tiles read them: per block of 32 channels and pair of taps, 64 int16 values
// (the pair's two weights per channel, in the lane order of the interleaved inputs); channels
// past C and the missing partner of an odd tap count are 0.
class PackedWeights {
 public:
  PackedWeights() = default;
  // wt: [T][C] int16 (w - w_zero_point).
  PackedWeights(const int16_t* wt, int64_t T, int64_t C);
  int64_t channels() const { return C_; }
  int64_t taps() const { return T_; }
  int64_t blocks() const { return (C_ + 31) / 32; }
  const int16_t* block(int64_t b) const { return w_.data() + b * pairs() * 64; }
  int64_t pairs() const { return (T_ + 1) / 2; }
  // The channel (within its 32-block) that int32 lane i of the low (i < 16) or high (i >= 16)
  // sum vector holds.
  static constexpr int channel_of_lane(int i) {
    // vpunpcklwd interleaves words 0-3 of each 128-bit lane, vpunpckhwd words 4-7; vpmaddwd then
    // leaves channel 8 * (i / 4) + i % 4 (+ 4 for the high half) in int32 lane i.
    return 8 * (i % 16 / 4) + i % 4 + (i >= 16 ? 4 : 0);
  }
  bool empty() const { return w_.empty(); }

 private:
  std::vector<int16_t> w_;
  int64_t T_ = 0, C_ = 0;
};

// What one image's rows need. bias (C values, or nullptr) and multiplier (C values) are in
// channel order; lane_bias/lane_mult are per-run scratch of blocks() * 32 values each.
struct RowsArgs {
  const PackedWeights* w;
  const int16_t* xs;   // the padded channels-last copy: pixel (h, w) at (h * Wp + w) * C
  const int64_t* tap;  // element offsets of the taps in xs
  int64_t Wp, OW, sh, sw;
  int64_t on;                // OH * OW: the output's channel stride
  const int32_t* lane_bias;  // from lane_order()
  const float* lane_mult;
  int32_t zero_point, lo, hi;
  uint8_t* y;  // this image's output (int8 written as its bytes)
};

// bias/multiplier in channel order to the tiles' lane order (blocks() * 32 values each; lanes
// past C get 0 and 1).
void lane_order(const PackedWeights& w, const int32_t* bias, const float* multiplier, int32_t* lane_bias,
                float* lane_mult);

// Output rows [r0, r1) of the image.
void run_rows(const RowsArgs& a, int64_t r0, int64_t r1);

}  // namespace edge::rt::linalg::qdw512
