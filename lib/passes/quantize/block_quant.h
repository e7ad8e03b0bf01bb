// Block-wise n-bit weight quantization in the layout of com.microsoft MatMulNBits: the
// logical weight W[K, N] is stored by column (row n of B holds column n), each column cut
// into blocks of `block` values along K (the last one padded with codes that dequantize to
// 0), each block with its own scale (and zero point when asymmetric); codes packed low-first
// (ir/packed_bits.h).
//   symmetric:  scale = max|w| / (2^(bits-1) - 1), code = round(w / scale) + 2^(bits-1),
//               clamped to [0, 2^bits - 1]; no zero_points input (the op's default is 2^(bits-1))
//   asymmetric: range [min(w, 0), max(w, 0)] onto [0, 2^bits - 1], zero point per block
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::pass::quant {

struct BlockQuantized {
  int bits = 4, block = 32;
  int64_t k = 0, n = 0, k_blocks = 0;
  std::vector<uint8_t> codes;        // [N, k_blocks, block * bits / 8]
  std::vector<float> scales;         // [N * k_blocks]
  std::vector<uint8_t> zero_points;  // [N, ceil(k_blocks * bits / 8)] packed; empty when symmetric
  std::vector<float> dequantized;    // [K, N]: what the op computes with, for the error table
  int64_t blob() const { return block * bits / 8; }
};

// w_kn: float32 [K, N]. bits 2, 4 or 8; block a power of 2 >= 16.
BlockQuantized quantize_blocks(const Tensor& w_kn, int bits, int block, bool symmetric);

}  // namespace edge::pass::quant
