// Integer "tap GEMM" for the cpu backend's quantized Conv and MatMul on x86
// CPUs with AVX-512 VNNI (vpdpbusd: four uint8 x int8 products added into each
// int32 lane, without saturation):
//
//   acc[p, m] = sum over taps t < T and channels c < C of  x[pos[p] + tap[t] +
//   c] * w(m, t, c)
//
// x is a uint8 image laid out position-major with each position's C channels
// contiguous and padded to a multiple of 4 (e.g. a padded NHWC copy of a Conv
// input, or the rows of a MatMul's A), pos[] and tap[] byte offsets into it; w
// is int8, packed once at preparation (PackedTapWeights). The sums wrap modulo
// 2^32 like the reference integer kernels, so the results are bit-identical to
// theirs. Zero points are the caller's: with weights whose zero point is 0, sum
// (x - zx) * w = acc - zx * row_sum(w), which folds into the bias.
//
// The results never leave registers as int32: each tile of 8 positions x 16 or
// 32 channels is requantized as q_requantize_row does (bias added with
// wrap-around, times a float32 multiplier, clamped, rounded half to even, zero
// point added, clamped to the output range) and written as 8-bit values to y[m
// * m_stride + p * p_stride].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg {

class PackedTapWeights {
 public:
  static constexpr int64_t kBlock = 16;  // output channels per packed block (one 512-bit vector)

  PackedTapWeights() = default;
  // w(m, t, c) gives the int8 weight of output channel m, tap t, channel c.
  template <class F>
  PackedTapWeights(int64_t M, int64_t T, int64_t C, F&& w) : M_(M), T_(T), C_(C), Cq_((C + 3) / 4) {
    blocks_ = (M + kBlock - 1) / kBlock;
    data_.assign(static_cast<size_t>(blocks_ * T * Cq_ * kBlock * 4), 0);
    row_sums_.assign(static_cast<size_t>(M), 0);
    for (int64_t m = 0; m < M; ++m) {
      int64_t sum = 0;
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t c = 0; c < C; ++c) {
          const int8_t v = w(m, t, c);
          sum += v;
          data_[static_cast<size_t>(index(m, t, c))] = v;
        }
      }
      row_sums_[static_cast<size_t>(m)] = static_cast<int32_t>(sum);  // modulo 2^32, as the sums
    }
  }

  int64_t rows() const { return M_; }
  int64_t taps() const { return T_; }
  int64_t channels() const { return C_; }
  int64_t channel_quads() const { return Cq_; }  // C rounded up to a multiple of 4, over 4
  int64_t blocks() const { return blocks_; }
  int32_t row_sum(int64_t m) const { return row_sums_[static_cast<size_t>(m)]; }
  // Block b: [T][Cq][kBlock][4] int8.
  const int8_t* block(int64_t b) const { return data_.data() + b * T_ * Cq_ * kBlock * 4; }

 private:
  int64_t index(int64_t m, int64_t t, int64_t c) const {
    return (((m / kBlock) * T_ + t) * Cq_ + c / 4) * kBlock * 4 + (m % kBlock) * 4 + c % 4;
  }

  int64_t M_ = 0, T_ = 0, C_ = 0, Cq_ = 0, blocks_ = 0;
  std::vector<int8_t> data_;
  std::vector<int32_t> row_sums_;
};

// How the tiles are requantized and written (see the file comment).
struct QTapOutput {
  const int32_t* bias = nullptr;      // blocks() * 16 values (accumulator units,
                                      // zero-point terms folded in)
  const float* multiplier = nullptr;  // blocks() * 16 values
  int32_t zero_point = 0, lo = 0, hi = 255;
  uint8_t* y = nullptr;  // int8 outputs are written as their bytes
  int64_t m_stride = 1, p_stride = 1;
  // When set, the sums plus `bias` (wrapping) are written instead, unquantized, to
  // acc[p * acc_stride + m] (multiplier, zero point, range and y unused).
  int32_t* acc = nullptr;
  int64_t acc_stride = 0;
};

// Runs all P positions against all output channels; splits the tiles across
// `pool` when it is non-null and the work is big enough. x must be readable at
// every pos[p] + tap[t] + 4 * Cq.
void qtap_gemm(const PackedTapWeights& w, const uint8_t* x, const int64_t* pos, int64_t P, const int64_t* tap,
               const QTapOutput& out, ThreadPool* pool);

// True when this CPU has AVX-512 VNNI, which qtap_gemm needs (callers check
// before use).
bool qtap_gemm_supported();

}  // namespace edge::rt::linalg
