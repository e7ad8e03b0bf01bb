// The AVX-512 1x1 convolution (unit strides, no padding) on channels-first images, positions on
// the vector lanes: Y[m][p] = clamp((sum_k W[m][k] X[k][p] + bias[m]) + Z[m][p]) for one image
// (X [K][P], Y and Z [M][P]). A register tile is 6 output channels x 64 positions (24
// accumulators): per input channel four vectors of X's row and six broadcast weights. The input
// is read where it lies (no copy), and each tile is written straight into Y's channel rows with
// bias, residual and clamp (no channels-last buffer, no transpose). Every sum runs over k in
// order, one fused multiply-add per k from zero, then + bias, then + Z: the same bits as the
// AVX2 tile and the packed GEMM. x86-64 with AVX-512F only; available() says whether it runs.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg::pw512 {

// True when this CPU runs AVX-512F and the direct tile (c16::available) is on: both switch
// together, so that tests forcing the AVX2 path off compare with the same reference.
bool available();

inline constexpr int kRows = 6;  // output channels per register tile

// W [M][K] as panels of kRows channels: [M / kRows][K][kRows] (missing rows 0).
struct Packed {
  int64_t M = 0, K = 0;
  std::vector<float> panels;
};
Packed pack(int64_t M, int64_t K, const float* w);

// One image. bias: M values or null; z: [M][P] or null; lo/hi: the activation as a clamp
// (hi < v ? hi : v, then lo > v ? lo : v; -inf, +inf: none).
void run(const Packed& p, const float* x, int64_t P, const float* bias, const float* z, float* y, ThreadPool* pool,
         float lo = -INFINITY, float hi = INFINITY);

}  // namespace edge::rt::linalg::pw512
