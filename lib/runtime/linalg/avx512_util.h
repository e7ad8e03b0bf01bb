// Small AVX-512 helpers shared by the channels-on-lanes kernels (conv2d_direct_c16.cc,
// conv_depthwise_c16.cc): lane masks and a 16 x 16 float transpose in registers. x86-64 only;
// callers compile them inside their own target("avx512f") functions.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace edge::rt::linalg::avx512 {

// The first n lanes, 0 <= n <= 16.
inline __mmask16 lanes_below(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// Lanes [a, b) of 16, clamped.
inline __mmask16 lanes_between(int64_t a, int64_t b) {
  a = std::clamp<int64_t>(a, 0, 16);
  b = std::clamp<int64_t>(b, a, 16);
  return static_cast<__mmask16>(lanes_below(b) & ~lanes_below(a));
}

// rows[j] (16 channels of position j) to cols[i] (16 positions of channel i). GCC 12 warns
// that its own unpack intrinsics read an undefined vector (_mm512_undefined_ps, on purpose).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f"))) inline void transpose16(const __m512* rows, __m512* cols) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // u[4i + q]: lane L holds rows 4i..4i+3 of column 4L + q
    u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int q = 0; q < 4; ++q) {
    const __m512 v = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x88), w = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xDD);
    const __m512 x = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x88),
                 y = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xDD);
    cols[q] = _mm512_shuffle_f32x4(v, x, 0x88);
    cols[8 + q] = _mm512_shuffle_f32x4(v, x, 0xDD);
    cols[4 + q] = _mm512_shuffle_f32x4(w, y, 0x88);
    cols[12 + q] = _mm512_shuffle_f32x4(w, y, 0xDD);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace edge::rt::linalg::avx512

#endif
