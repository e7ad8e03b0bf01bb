// An 8 x 8 byte transpose in SSE2 registers, shared by the channels-last copies (nhwc_copy.cc)
// and the VNNI tile's channel-major stores (qtap_gemm.cc). x86 only (SSE2 is baseline x86-64).
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>

namespace edge::rt::linalg {

// rows[k] holds row k in its low 8 bytes; out[j] receives column j (byte k = rows[k][j]) in its
// low 8 bytes.
inline void transpose8x8_u8(const __m128i rows[8], __m128i out[8]) {
  const __m128i t0 = _mm_unpacklo_epi8(rows[0], rows[1]), t1 = _mm_unpacklo_epi8(rows[2], rows[3]);
  const __m128i t2 = _mm_unpacklo_epi8(rows[4], rows[5]), t3 = _mm_unpacklo_epi8(rows[6], rows[7]);
  const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
  const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
  const __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                        _mm_unpackhi_epi32(u1, u3)};
  for (int k = 0; k < 4; ++k) {
    out[2 * k] = v[k];
    out[2 * k + 1] = _mm_srli_si128(v[k], 8);
  }
}

}  // namespace edge::rt::linalg
#endif
