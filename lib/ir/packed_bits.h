// Unsigned n-bit codes (bits = 2, 4 or 8) packed into bytes low-first: code i of a row sits
// in byte i * bits / 8 at bit offset (i * bits) % 8. For 4 bits, code 2j is the low nibble of
// byte j and code 2j + 1 its high nibble. This is the layout of com.microsoft MatMulNBits' B
// and zero_points and of ONNX INT4/UINT4 tensors. Written by quantize-weight-only, read by the
// MatMulNBits kernel.
#pragma once

#include <cstdint>

namespace edge {

// Bytes holding `count` codes of `bits` bits (a partial last byte counts as one).
inline int64_t packed_bytes(int64_t count, int bits) { return (count * bits + 7) / 8; }

inline uint8_t packed_code(const uint8_t* row, int64_t i, int bits) {
  const int64_t bit = i * bits;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1u);
  return static_cast<uint8_t>((row[bit / 8] >> (bit % 8)) & mask);
}

// Sets code i; the other codes of the byte are kept.
inline void set_packed_code(uint8_t* row, int64_t i, int bits, uint8_t code) {
  const int64_t bit = i * bits;
  const unsigned mask = ((1u << bits) - 1u) << (bit % 8);
  uint8_t& b = row[bit / 8];
  b = static_cast<uint8_t>((b & ~mask) | ((static_cast<unsigned>(code) << (bit % 8)) & mask));
}

}  // namespace edge
