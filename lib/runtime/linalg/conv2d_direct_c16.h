// The AVX-512 tile of the direct 2-D convolution (conv2d_direct.h): output channels on the
// vector lanes, output positions broadcast.
//
// The AVX2 tile puts 16 wide-output columns on its lanes, so on small feature maps much of
// every tile is the padding columns of the wide grid (a 4x4 map with 3x3 kernels: half).
// Here a tile is 16 * MV output channels (MV = 1..4 vectors) by P consecutive positions of
// one output row (P up to 6..16, chosen so that the accumulators fit the 32 registers): every
// position it computes is a real output, and 16-channel vectors fit the channel counts CNNs
// use. The weights are packed once as [channel group][k][16 * MV]; the input of position j
// at tap k is the scalar planes[offset[k] + column(j)] of the phase planes, broadcast. Each
// output is summed over k in ascending order with one fused multiply-add per term, starting
// from +0, exactly as the AVX2 tile does, so both give the same bits (and any thread count).
// The result is channels-last: out[column * m_pad + channel], columns as in the wide grid
// (oh * Wq + ow; the padding columns are not written).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/function_ref.h"

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg::c16 {

// True when this CPU (and OS) runs AVX-512F and the tile has not been switched off.
bool available();
// Switches the tile off (tests compare it with the AVX2 tile on one machine). Not thread-safe:
// call before any convolution is prepared.
void force_off(bool on);

struct Packed {
  struct Group {
    int64_t first_vec, vecs;  // 16-channel vectors [first_vec, first_vec + vecs)
    int64_t offset;           // floats into w: [K][16 * vecs]
  };
  int64_t m_pad = 0;  // channels rounded up to 16 (the padding channels' weights are 0)
  std::vector<Group> groups;
  std::vector<float> w;
};

// w: [M][K] row-major.
Packed pack(int64_t M, int64_t K, const float* w);

// Told by run() that channel vectors [first_vec, first_vec + vecs) of `count` consecutive
// positions are final: src points at the first one's channel 16 * first_vec in run()'s `out`
// (positions src_stride floats apart), and they are output positions y_pos (oh * OW + ow)
// onward. Called from the pool's threads, for disjoint ranges, while the results are in cache.
using Finished = FunctionRef<void(const float* src, int64_t src_stride, int64_t first_vec, int64_t vecs, int64_t y_pos,
                                  int64_t count)>;

// Output rows [0, OH) of OW positions; `planes` + offset[k] + oh * Wq + ow is the input of tap
// k for output (oh, ow). Writes out[(oh * Wq + ow) * m_pad + channel]; with `finished`, works
// through each task's positions in blocks of about kFinishedPositions and reports each block.
inline constexpr int64_t kFinishedPositions = 256;
void run(const Packed& p, int64_t K, const float* planes, const int64_t* offset, int64_t OH, int64_t OW, int64_t Wq,
         float* out, ThreadPool* pool, const Finished* finished = nullptr);

// One phase plane of one channel, for width strides 1 and 2: plane[i * Wq + j] =
// x[ih * W + iw] with ih = row0 + i * sh, iw = first + j * sw where inside the H x W input,
// else 0, for i < Hq, j < Wq. Masked AVX-512 loads and stores: nothing outside the input is
// read, nothing past the plane written.
void fill_plane(float* plane, const float* x, int64_t H, int64_t W, int64_t row0, int64_t sh, int64_t first, int64_t sw,
                int64_t Hq, int64_t Wq);

// The epilogue of a channels-last result: y[m][oh * OW + ow] = clamp((src[(oh * Wq + ow) * m_pad
// + m] + bias[m]) + z[m][oh * OW + ow]) for m < M (bias null: + 0, as the scalar epilogue adds;
// z null: nothing), in 16 x 16 blocks transposed in registers. The clamp is v = (hi < v ? hi :
// v), then (lo > v ? lo : v): with lo <= hi exactly FusedActivation's Relu (0, +inf) and Clip
// (NaN stays NaN); -inf, +inf leave v as it is.
// plane: the channel stride of y and z (0: OH * OW).
void write_channels_first(const float* src, int64_t m_pad, int64_t Wq, int64_t OH, int64_t OW, int64_t M,
                          const float* bias, const float* z, float* y, float lo = -INFINITY, float hi = INFINITY,
                          int64_t plane = 0);

}  // namespace edge::rt::linalg::c16
