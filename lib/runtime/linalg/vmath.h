// Vectorized float32 math for the optimized kernels: exp, sigmoid, tanh and erf on 8-lane vectors
// written with the GCC/Clang vector extension, so one source compiles to AVX2 (inside a
// function marked target("avx2,fma")), to SSE in a portable x86 build and to NEON on aarch64,
// with no intrinsics. The functions are always_inline so that they take the instruction set of
// the function that calls them; a kernel dispatches once per call, not per element.
//
// Accuracy (measured against double std::exp/tanh/erf over [-20, 20] in steps of 1e-4, by
// tests/unit/test_cpu_kernels_gru.cc): exp within 8e-8 relative in [-87, 88] (range reduction
// by ln 2 in two parts, then a degree-6 polynomial: Cephes expf's published coefficients);
// sigmoid and tanh within 9e-8 absolute (tanh: an odd polynomial below |x| = 0.625, the exp
// form above); erf within 3.2e-7 absolute and 1.7e-7 relative below |x| = 0.5. Inputs are
// clamped, so large |x| saturate instead of overflowing; NaN in gives NaN out.
#pragma once

#include <climits>
#include <cstdint>
#include <cstring>

// The helpers (and the lambdas that kernels pass to vmap) take and return 32-byte vectors by
// value; they are always inlined (pass vmap the function objects below, not lambdas), so no call
// crosses an ABI boundary and GCC's -Wpsabi note about the AVX calling convention does not apply. GCC reports
// it where the inlined code is emitted, at the end of the including file, so the warning stays
// off for the rest of a file that includes this header (only the cpu kernels do).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace edge::rt::linalg {

typedef float vf8 __attribute__((vector_size(32)));
typedef int32_t vi8 __attribute__((vector_size(32)));
typedef float vf8u __attribute__((vector_size(32), aligned(4)));  // unaligned loads and stores

#define EDGE_VMATH_INLINE __attribute__((always_inline)) inline

EDGE_VMATH_INLINE vf8 vf8_set(float v) { return vf8{v, v, v, v, v, v, v, v}; }
EDGE_VMATH_INLINE vf8 vf8_load(const float* p) { return *reinterpret_cast<const vf8u*>(p); }
EDGE_VMATH_INLINE void vf8_store(float* p, vf8 v) { *reinterpret_cast<vf8u*>(p) = v; }
EDGE_VMATH_INLINE vf8 vf8_min(vf8 a, vf8 b) { return a < b ? a : b; }
EDGE_VMATH_INLINE vf8 vf8_max(vf8 a, vf8 b) { return a > b ? a : b; }
EDGE_VMATH_INLINE vi8 vi8_sign_mask() {
  const int32_t m = INT32_MIN;
  return vi8{m, m, m, m, m, m, m, m};
}

// e^x; x is clamped to [-87.3, 88] (results from about 1.2e-38 to 1.65e38).
EDGE_VMATH_INLINE vf8 vexp(vf8 x0) {
  vf8 x = vf8_min(vf8_max(x0, vf8_set(-87.33654f)), vf8_set(88.f));
  const vf8 magic = vf8_set(12582912.f);  // 1.5 * 2^23: adding it rounds to an integer
  const vf8 n = (x * vf8_set(1.44269504088896341f) + magic) - magic;
  const vf8 r = (x - n * vf8_set(0.693359375f)) + n * vf8_set(2.12194440e-4f);
  vf8 p = vf8_set(1.9875691500e-4f);
  p = p * r + vf8_set(1.3981999507e-3f);
  p = p * r + vf8_set(8.3334519073e-3f);
  p = p * r + vf8_set(4.1665795894e-2f);
  p = p * r + vf8_set(1.6666665459e-1f);
  p = p * r + vf8_set(5.0000001201e-1f);
  p = p * (r * r) + r + vf8_set(1.f);
  const vi8 bits = (__builtin_convertvector(n, vi8) + 127) << 23;
  const vf8 y = p * reinterpret_cast<vf8>(bits);
  return x0 == x0 ? y : x0;
}

EDGE_VMATH_INLINE vf8 vsigmoid(vf8 x) { return vf8_set(1.f) / (vf8_set(1.f) + vexp(-x)); }

EDGE_VMATH_INLINE vf8 vtanh(vf8 x) {
  const vi8 sign = reinterpret_cast<vi8>(x) & vi8_sign_mask();
  const vf8 a = reinterpret_cast<vf8>(reinterpret_cast<vi8>(x) & ~vi8_sign_mask());
  // |x| >= 0.625: (1 - e^-2a) / (1 + e^-2a); 9.0 and above is 1 in float.
  const vf8 e = vexp(vf8_set(-2.f) * vf8_min(a, vf8_set(9.f)));
  const vf8 big = (vf8_set(1.f) - e) / (vf8_set(1.f) + e);
  // |x| < 0.625: x + x z P(z), z = x^2 (Cephes tanhf's published coefficients).
  const vf8 z = a * a;
  vf8 p = vf8_set(-5.70498872745e-3f);
  p = p * z + vf8_set(2.06390887954e-2f);
  p = p * z + vf8_set(-5.37397155531e-2f);
  p = p * z + vf8_set(1.33314422036e-1f);
  p = p * z + vf8_set(-3.33332819422e-1f);
  const vf8 small = a + a * z * p;
  const vf8 y = a < vf8_set(0.625f) ? small : big;
  const vf8 r = reinterpret_cast<vf8>(reinterpret_cast<vi8>(y) | sign);
  return x == x ? r : x;
}

// erf(x): below |x| = 0.5 the Maclaurin series to x^13 (relative error under 1e-7), above it
// Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7 in exact arithmetic), 1 from
// |x| = 6 on; the sign of x is kept.
EDGE_VMATH_INLINE vf8 verf(vf8 x) {
  const vi8 sign = reinterpret_cast<vi8>(x) & vi8_sign_mask();
  const vf8 a = vf8_min(reinterpret_cast<vf8>(reinterpret_cast<vi8>(x) & ~vi8_sign_mask()), vf8_set(6.f));
  const vf8 z = a * a;
  vf8 s = vf8_set(1.2055332981789664e-4f);
  s = s * z + vf8_set(-8.548327023450852e-4f);
  s = s * z + vf8_set(5.223977625442188e-3f);
  s = s * z + vf8_set(-2.6866170645131252e-2f);
  s = s * z + vf8_set(1.1283791670955126e-1f);
  s = s * z + vf8_set(-3.7612638903183754e-1f);
  s = s * z + vf8_set(1.1283791670955126f);
  const vf8 small = a * s;
  const vf8 t = vf8_set(1.f) / (vf8_set(1.f) + vf8_set(0.3275911f) * a);
  vf8 p = vf8_set(1.061405429f);
  p = p * t + vf8_set(-1.453152027f);
  p = p * t + vf8_set(1.421413741f);
  p = p * t + vf8_set(-0.284496736f);
  p = p * t + vf8_set(0.254829592f);
  const vf8 big = vf8_set(1.f) - p * t * vexp(-z);
  const vf8 y = a < vf8_set(0.5f) ? small : big;
  const vf8 r = reinterpret_cast<vf8>(reinterpret_cast<vi8>(y) | sign);
  return x == x ? r : x;
}

// Function objects for vmap (always inlined, unlike a lambda's call operator).
struct VExp {
  EDGE_VMATH_INLINE vf8 operator()(vf8 v) const { return vexp(v); }
};
struct VErf {
  EDGE_VMATH_INLINE vf8 operator()(vf8 v) const { return verf(v); }
};
struct VSigmoid {
  EDGE_VMATH_INLINE vf8 operator()(vf8 v) const { return vsigmoid(v); }
};
struct VTanh {
  EDGE_VMATH_INLINE vf8 operator()(vf8 v) const { return vtanh(v); }
};

// y[i] = f(x[i]) over n floats (x and y may be the same); the tail goes through the same
// vector code (padded copy), so every element gets the same result whatever its position.
template <typename F>
EDGE_VMATH_INLINE void vmap(const float* x, float* y, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vf8_store(y + i, f(vf8_load(x + i)));
  if (i < n) {
    float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(tail, x + i, static_cast<size_t>(n - i) * sizeof(float));
    vf8_store(tail, f(vf8_load(tail)));
    std::memcpy(y + i, tail, static_cast<size_t>(n - i) * sizeof(float));
  }
}

template <typename F>
EDGE_VMATH_INLINE void vmap_inplace(float* x, int64_t n, F f) {
  vmap(x, x, n, f);
}

}  // namespace edge::rt::linalg
