// Channels-last copies of one 8-bit NCHW image (C x H x W) for the integer conv kernels:
// dst[(h * dst_row + w) * dst_pixel + c] for channel c, row h, column w (dst_row in pixels,
// dst_pixel in elements: a padded layout leaves room around and between). 8 x 8 blocks of
// (channels, columns) are transposed in SSE2 registers where available; the rest element by
// element. Same results either way.
#pragma once

#include <cstdint>

namespace edge::rt::linalg {

// uint8 (or int8 read as its bytes) x ^ flip: flip = 0x80 offsets int8 to uint8 (x + 128).
void nchw_to_nhwc_u8(const uint8_t* src, int64_t C, int64_t H, int64_t W, uint8_t flip, uint8_t* dst, int64_t dst_row,
                     int64_t dst_pixel);

// int16 x - zero_point, x uint8 or (is_signed) int8.
void nchw_to_nhwc_s16(const uint8_t* src, bool is_signed, int32_t zero_point, int64_t C, int64_t H, int64_t W,
                      int16_t* dst, int64_t dst_row, int64_t dst_pixel);

}  // namespace edge::rt::linalg
