// AVX-512 depthwise convolution, 16 channels per vector (see conv_depthwise_c16.h).
#include "runtime/linalg/conv_depthwise_c16.h"

#include <algorithm>

#include "runtime/linalg/avx512_util.h"
#include "runtime/linalg/conv2d_direct_c16.h"

namespace edge::rt::linalg::dw16 {

namespace {

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// Floats of the padded channels-last input: Hp * Wp positions plus the reads past the last
// one by the 8-position groups of the last row.
int64_t input_floats(const Geometry& g) { return round16((g.Hp * g.Wp + 8 * g.sw + 8) * 16); }

}  // namespace

int64_t scratch_floats(const Geometry& g) {
  return input_floats(g) + round16(g.KH * g.KW * 16) + round16(g.OH * g.OW * 16);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace {
// NP adjacent output positions of one row (input position `base` for the first): their taps in
// order into out[j * 16].
template <int NP>
__attribute__((target("avx512f"))) void positions(const Geometry& g, const float* wt, const float* buf, int64_t base,
                                                  float* out) {
  __m512 acc[NP];
  for (int j = 0; j < NP; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const __m512 wv = _mm512_load_ps(wt + (kh * g.KW + kw) * 16);
      const float* src = buf + (base + kh * g.dh * g.Wp + kw * g.dw) * 16;
      for (int j = 0; j < NP; ++j) acc[j] = _mm512_fmadd_ps(wv, _mm512_load_ps(src + j * g.sw * 16), acc[j]);
    }
  }
  for (int j = 0; j < NP; ++j) _mm512_store_ps(out + j * 16, acc[j]);
}
}  // namespace

__attribute__((target("avx512f"))) void run_block(const Geometry& g, int64_t c0, const float* x, const float* w,
                                                  const float* bias, const float* z, float* y, float* scratch, float lo,
                                                  float hi) {
  using avx512::lanes_below;
  const int64_t cn = std::min<int64_t>(16, g.C - c0), taps = g.KH * g.KW, in_n = g.H * g.W;
  float* buf = scratch;
  float* wt = buf + input_floats(g);
  float* out = wt + round16(taps * 16);
  // Weights as [tap][16 channels], channels past C zero.
  for (int64_t t = 0; t < taps; ++t) {
    for (int64_t i = 0; i < 16; ++i) wt[t * 16 + i] = i < cn ? w[(c0 + i) * taps + t] : 0.f;
  }
  // The padded input, channels last: zeros around the image (the image itself is overwritten
  // whole), then each input row in 16 x 16 transposed blocks.
  const __m512 zero = _mm512_setzero_ps();
  auto zero_positions = [&](int64_t a, int64_t b) { std::fill(buf + a * 16, buf + std::max(a, b) * 16, 0.f); };
  zero_positions(0, g.ph * g.Wp);
  for (int64_t ih = g.ph; ih < g.ph + g.H; ++ih) {
    zero_positions(ih * g.Wp, ih * g.Wp + g.pw);
    zero_positions(ih * g.Wp + g.pw + g.W, (ih + 1) * g.Wp);
  }
  zero_positions((g.ph + g.H) * g.Wp, input_floats(g) / 16);
  __m512 rows[16], cols[16];
  for (int64_t ih = 0; ih < g.H; ++ih) {
    for (int64_t iw0 = 0; iw0 < g.W; iw0 += 16) {
      const int64_t P = std::min<int64_t>(16, g.W - iw0);
      const __mmask16 m = lanes_below(P);
      for (int64_t j = 0; j < 16; ++j) {
        rows[j] = j < cn ? _mm512_maskz_loadu_ps(m, x + (c0 + j) * in_n + ih * g.W + iw0) : zero;
      }
      avx512::transpose16(rows, cols);
      float* dst = buf + ((ih + g.ph) * g.Wp + iw0 + g.pw) * 16;
      for (int64_t i = 0; i < P; ++i) _mm512_store_ps(dst + i * 16, cols[i]);
    }
  }
  // Each output position: its taps in order, up to 8 positions at a time.
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 8) {
      const int64_t base = oh * g.sh * g.Wp + ow0 * g.sw;
      float* o = out + (oh * g.OW + ow0) * 16;
      switch (std::min<int64_t>(8, g.OW - ow0)) {
        case 1:
          positions<1>(g, wt, buf, base, o);
          break;
        case 2:
          positions<2>(g, wt, buf, base, o);
          break;
        case 3:
          positions<3>(g, wt, buf, base, o);
          break;
        case 4:
          positions<4>(g, wt, buf, base, o);
          break;
        case 5:
          positions<5>(g, wt, buf, base, o);
          break;
        case 6:
          positions<6>(g, wt, buf, base, o);
          break;
        case 7:
          positions<7>(g, wt, buf, base, o);
          break;
        default:
          positions<8>(g, wt, buf, base, o);
          break;
      }
    }
  }
  const int64_t on = g.OH * g.OW;
  c16::write_channels_first(out, 16, g.OW, g.OH, g.OW, cn, bias ? bias + c0 : nullptr, z ? z + c0 * on : nullptr,
                            y + c0 * on, lo, hi);
}
#else
void run_block(const Geometry&, int64_t, const float*, const float*, const float*, const float*, float*, float*, float,
               float) {}
#endif

}  // namespace edge::rt::linalg::dw16
