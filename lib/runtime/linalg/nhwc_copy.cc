// Channels-last copies (see nhwc_copy.h).
#include "runtime/linalg/nhwc_copy.h"

#include "runtime/linalg/transpose8x8.h"

namespace edge::rt::linalg {

namespace {

template <typename Put>
void copy_scalar(const uint8_t* src, int64_t c0, int64_t c1, int64_t H, int64_t W, int64_t w0, int64_t dst_row,
                 int64_t dst_pixel, Put put) {
  for (int64_t h = 0; h < H; ++h) {  // pixel by pixel: each destination pixel's channels together
    for (int64_t w = w0; w < W; ++w) {
      const uint8_t* px = src + h * W + w;
      for (int64_t c = c0; c < c1; ++c) put((h * dst_row + w) * dst_pixel + c, px[c * H * W]);
    }
  }
}

#if defined(__SSE2__)
// The 8 x 8 block of channels [c, c + 8) x columns [w, w + 8) of row h, as 8 pixels of 8 channel
// bytes: out[p] holds pixel p in its low 8 bytes.
inline void block8x8(const uint8_t* src, int64_t c, int64_t h, int64_t w, int64_t H, int64_t W, __m128i out[8]) {
  __m128i r[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + ((c + k) * H + h) * W + w));
  transpose8x8_u8(r, out);
}
#endif

}  // namespace

void nchw_to_nhwc_u8(const uint8_t* src, int64_t C, int64_t H, int64_t W, uint8_t flip, uint8_t* dst, int64_t dst_row,
                     int64_t dst_pixel) {
  int64_t c8 = 0, w8 = 0;
#if defined(__SSE2__)
  c8 = C / 8 * 8;
  w8 = W / 8 * 8;
  const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
  // Row by row, 8 columns at a time, all channels: each destination pixel is written whole
  // while it is in cache (channel-block-outer order rewrote every pixel C / 8 times).
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t w = 0; w < w8; w += 8) {
      for (int64_t c = 0; c < c8; c += 8) {
        __m128i px[8];
        block8x8(src, c, h, w, H, W, px);
        for (int p = 0; p < 8; ++p) {
          _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (h * dst_row + w + p) * dst_pixel + c),
                           _mm_xor_si128(px[p], f));
        }
      }
    }
  }
#endif
  auto put = [&](int64_t i, uint8_t v) { dst[i] = v ^ flip; };
  copy_scalar(src, 0, c8, H, W, w8, dst_row, dst_pixel, put);  // the columns past the blocks
  copy_scalar(src, c8, C, H, W, 0, dst_row, dst_pixel, put);   // the channels past the blocks
}

void nchw_to_nhwc_s16(const uint8_t* src, bool is_signed, int32_t zero_point, int64_t C, int64_t H, int64_t W,
                      int16_t* dst, int64_t dst_row, int64_t dst_pixel) {
  int64_t c8 = 0, w8 = 0;
#if defined(__SSE2__)
  c8 = C / 8 * 8;
  w8 = W / 8 * 8;
  const __m128i zp = _mm_set1_epi16(static_cast<int16_t>(zero_point)), zero = _mm_setzero_si128();
  for (int64_t h = 0; h < H; ++h) {  // the order of nchw_to_nhwc_u8
    for (int64_t w = 0; w < w8; w += 8) {
      for (int64_t c = 0; c < c8; c += 8) {
        __m128i px[8];
        block8x8(src, c, h, w, H, W, px);
        for (int p = 0; p < 8; ++p) {
          // 8 bytes widened to int16: zero-extended, or sign-extended (shift the byte into the high half).
          const __m128i wide =
              is_signed ? _mm_srai_epi16(_mm_unpacklo_epi8(zero, px[p]), 8) : _mm_unpacklo_epi8(px[p], zero);
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (h * dst_row + w + p) * dst_pixel + c),
                           _mm_sub_epi16(wide, zp));
        }
      }
    }
  }
#endif
  auto put = [&](int64_t i, uint8_t v) {
    const int32_t x = is_signed ? static_cast<int32_t>(static_cast<int8_t>(v)) : static_cast<int32_t>(v);
    dst[i] = static_cast<int16_t>(x - zero_point);
  };
  copy_scalar(src, 0, c8, H, W, w8, dst_row, dst_pixel, put);
  copy_scalar(src, c8, C, H, W, 0, dst_row, dst_pixel, put);
}

}  // namespace edge::rt::linalg
