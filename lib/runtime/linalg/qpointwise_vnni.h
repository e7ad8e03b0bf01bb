// The AVX-512 VNNI 1x1 quantized convolution (unit strides, no padding) on channels-first
// images, positions on the vector lanes: acc[m][p] = sum_k x[k][p] * w[m][k] (uint8 x int8,
// vpdpbusd: four channels per int32 lane), requantized as q_requantize_row does and written
// straight into Y's channel rows, 16 bytes per vector (no channels-last copy of X, no
// transposed stores). X is first interleaved by channel quads, [K/4][P][4] bytes, which is all
// the copying there is. A register tile is 6 output channels x 64 positions (24 accumulators).
// The sums wrap in 32 bits like the reference's, so the results are bit-identical to the
// reference kernel and to the channels-last tap GEMM (qtap_gemm.h). Zero points are the
// caller's, as there: sum (x - zx) * w = acc - zx * row_sum(w) folds into the bias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace edge::rt {
class ThreadPool;
}

namespace edge::rt::linalg::qpw {

inline constexpr int kRows = 6;  // output channels per register tile

// W as int8 panels of kRows channels: [M / kRows][K / 4][kRows][4] (missing rows and channels 0).
class Packed {
 public:
  Packed() = default;
  // w(m, k): the int8 weight of output channel m, input channel k.
  template <class F>
  Packed(int64_t M, int64_t K, F&& w) : M_(M), K_(K), Kq_((K + 3) / 4) {
    const int64_t panels = (M + kRows - 1) / kRows;
    data_.assign(static_cast<size_t>(panels * Kq_ * kRows * 4), 0);
    row_sums_.assign(static_cast<size_t>(M), 0);
    for (int64_t m = 0; m < M; ++m) {
      int64_t sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int8_t v = w(m, k);
        sum += v;
        data_[static_cast<size_t>((((m / kRows) * Kq_ + k / 4) * kRows + m % kRows) * 4 + k % 4)] = v;
      }
      row_sums_[static_cast<size_t>(m)] = static_cast<int32_t>(sum);  // modulo 2^32, as the sums
    }
  }
  int64_t rows() const { return M_; }
  int64_t channels() const { return K_; }
  int64_t channel_quads() const { return Kq_; }
  int32_t row_sum(int64_t m) const { return row_sums_[static_cast<size_t>(m)]; }
  const int8_t* panel(int64_t i) const { return data_.data() + i * Kq_ * kRows * 4; }

 private:
  int64_t M_ = 0, K_ = 0, Kq_ = 0;
  std::vector<int8_t> data_;
  std::vector<int32_t> row_sums_;
};

// x [K][P] 8-bit, each byte XORed with `flip` (0x80 reads int8 as uint8 x + 128), into
// xq [K / 4][P][4] (channels past K: 0). xq holds channel_quads * P * 4 bytes.
void interleave(const uint8_t* x, int64_t K, int64_t P, uint8_t flip, uint8_t* xq);

// How the sums are requantized (q_requantize_row) and written: y[m * P + p], int8 as its bytes.
struct Output {
  const int32_t* bias;      // M values (accumulator units, zero-point terms folded in)
  const float* multiplier;  // M values
  int32_t zero_point, lo, hi;
  uint8_t* y;
};

// One image: all M channels x P positions from the interleaved xq.
void run(const Packed& w, const uint8_t* xq, int64_t P, const Output& out, ThreadPool* pool);

// True when this CPU has AVX-512 VNNI, BW and VL (callers check before use).
bool supported();

}  // namespace edge::rt::linalg::qpw
