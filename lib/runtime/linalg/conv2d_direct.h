// 2-D convolution as an implicit GEMM over a phase-split, zero-padded copy of the input.
//
// The input of one group is copied once per run into stride-phase planes: for strides
// (sh, sw) there are sh*sw planes per channel, plane (a, b) holding padded rows a, a+sh, ...
// and columns b, b+sw, ... (zeros where the window reads padding). In these planes every
// kernel tap (c, kh, kw) is a fixed offset, and output position (oh, ow) is column
// oh * Wq + ow of a "wide" output grid (Wq = plane width >= OW; the extra columns are computed
// and dropped). So the GEMM's B operand is read straight from the planes at
// offset[k] + column — no patch matrix is built and nothing is packed per run. The weights
// are packed once into register-tile panels; each output element is summed over k in
// ascending order whatever the thread count (bit-identical results across thread counts).
//
// Sparse weights (pruned layers): built with `sparse`, the weights are kept per output row as
// their nonzero taps only (CSR: tap offset and value), and each row's wide output is summed
// over its nonzero taps, in ascending k, in register tiles of up to 32 columns. With finite
// inputs the result equals the dense path's bit for bit (a zero weight adds exactly +0 in a
// fused multiply-add); a zero weight times an infinite or NaN input, which the dense path
// turns into NaN, is skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/linalg/conv2d_direct_c16.h"
#include "runtime/linalg/gemm.h"

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg {

// The share of zeros among n weights (0 for n == 0): what the sparse Conv and Gemm kernels are
// chosen by.
double zero_share(const float* w, int64_t n);

class DirectConv2d {
 public:
  DirectConv2d() = default;
  // w: one group's weights [M][C][KH][KW] (row-major). `sparse`: keep only the nonzero taps.
  DirectConv2d(int64_t M, int64_t C, int64_t KH, int64_t KW, const float* w, bool sparse = false);

  // When the cpu Conv takes the sparse path, as measured on single layers against the dense
  // tile this CPU runs (bench/direct_conv_bench.cc, docs/performance.md). `taps`: KH * KW;
  // `channels`: input channels per group; `positions`: output positions per image known at
  // preparation (0 when not known); `unit_strides`: all strides 1.
  //   AVX2 tile: kernels larger than 1x1 from 70 % zeros; 1x1 (whose dense path is one packed
  //   GEMM) from 90 % with unit strides, >= 64 channels and >= 32 positions.
  //   AVX-512 tile (2x the AVX2 tile's speed, so the sparse rows pay later): kernels larger
  //   than 1x1 from 90 % with >= 100 positions, else from 95 %; 1x1 with unit strides,
  //   >= 64 channels and >= 32 positions from 95 %, or from 90 % with >= 128 channels and
  //   >= 100 positions.
  static bool sparse_pays(double zeros, int64_t taps, int64_t channels, int64_t positions, bool unit_strides);

  // Scratch floats run() needs for geometry `g` (g.C, g.KH, g.KW must match the weights).
  size_t scratch_floats(const Conv2dGeom& g) const;

  // Computes the wide output of one image: output (m, oh, ow) is at
  // out[m * ld + (oh * row_stride + ow) * pos_stride] (pos_stride 1 from the AVX2 and portable
  // tiles, channels-last from the AVX-512 tile: ld 1). `x` is [C][H][W]; `scratch` holds
  // scratch_floats(g) floats (64-byte aligned). Returns the result's location.
  struct Wide {
    const float* out;
    int64_t ld;          // floats between output channels
    int64_t row_stride;  // positions between output rows (>= OW)
    int64_t pos_stride;  // floats between adjacent positions
    bool reported = false;  // `finished` was told about every output (the AVX-512 tile)
  };
  // `finished`: where the AVX-512 tile runs, told about blocks of outputs as they are done
  // (c16::run), so that the caller writes them out while they are in cache.
  Wide run(const float* x, const Conv2dGeom& g, float* scratch, ThreadPool* pool,
           const c16::Finished* finished = nullptr) const;

  int64_t rows() const { return M_; }
  bool sparse() const { return sparse_; }
  // The register tile ("6x16", "avx512-c16" or "sparse"): for profiles.
  const char* tile_name() const;

 private:
  struct Layout;
  Layout layout(const Conv2dGeom& g) const;
  // Split across channels on `pool` when the copy is large.
  void fill_planes(const float* x, const Conv2dGeom& g, const Layout& l, float* planes, ThreadPool* pool) const;
  void fill_one_plane(float* p, const float* xc, const Conv2dGeom& g, const Layout& l, int64_t a, int64_t b) const;

  void run_sparse(const Layout& l, int64_t* offset, const float* planes, float* out, ThreadPool* pool) const;

  int64_t M_ = 0, C_ = 0, KH_ = 0, KW_ = 0, K_ = 0;
  static constexpr int mr_ = 6, nr_ = 16;
  std::vector<float> panels_;  // [M_pad / mr][K][mr], rows past M zero
  c16::Packed c16_;            // the AVX-512 tile's weights, when c16::available() at construction
  bool sparse_ = false;
  std::vector<int64_t> row_start_;  // sparse: row m's taps are [row_start_[m], row_start_[m + 1])
  std::vector<int32_t> tap_k_;      // sparse: k = (c * KH + kh) * KW + kw of each nonzero weight
  std::vector<float> tap_w_;        // sparse: its value
};

}  // namespace edge::rt::linalg
