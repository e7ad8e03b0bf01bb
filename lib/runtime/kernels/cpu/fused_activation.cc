// FusedActivation::apply: the same scalar loops compiled twice, so that the compiler
// vectorizes them for AVX2 (8 lanes) where the CPU has it and for the baseline otherwise.
// NaN stays NaN under Relu and Clip, as in the reference kernels.
#include "runtime/kernels/cpu/fused_activation.h"

#include "runtime/linalg/gemm.h"

namespace edge::rt {
namespace {

__attribute__((always_inline)) inline void apply_body(FusedActivation::Kind kind, float a, float b, float* y,
                                                      int64_t n) {
  switch (kind) {
    case FusedActivation::kNone:
      return;
    case FusedActivation::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? 0.f : y[i];
      return;
    case FusedActivation::kClip:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < a ? a : (y[i] > b ? b : y[i]);
      return;
    case FusedActivation::kLeaky:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.f ? y[i] * a : y[i];
      return;
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void apply_avx2(FusedActivation::Kind kind, float a, float b, float* y, int64_t n) {
  apply_body(kind, a, b, y, n);
}
#else
void apply_avx2(FusedActivation::Kind kind, float a, float b, float* y, int64_t n) { apply_body(kind, a, b, y, n); }
#endif
void apply_generic(FusedActivation::Kind kind, float a, float b, float* y, int64_t n) { apply_body(kind, a, b, y, n); }

}  // namespace

void FusedActivation::apply(float* y, int64_t n) const {
  if (kind == kNone || n <= 0) return;
  if (linalg::sgemm_uses_avx2()) {
    apply_avx2(kind, a, b, y, n);
  } else {
    apply_generic(kind, a, b, y, n);
  }
}

}  // namespace edge::rt
