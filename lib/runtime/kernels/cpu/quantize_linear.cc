// cpu backend: QuantizeLinear and DequantizeLinear of float32 with one constant scale and zero
// point (per tensor, uint8/int8): the QDQ boundaries of a quantized model, run at every
// inference. The same arithmetic as the reference kernels, element for element, in loops the
// compiler vectorizes (compiled for AVX2, chosen at run time, and for the baseline ISA):
//   QuantizeLinear:   v = x / scale (float32), clamped to [lo - zp - 1, hi - zp + 1], NaN -> 0,
//                     rounded half to even, plus zp, clamped to [lo, hi];
//   DequantizeLinear: y = float(x - zp) * scale.
// So the results are bit-identical to the reference's. Per-axis parameters, other types and
// opset 21's attributes use the reference kernels.
#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

template <typename Q>
__attribute__((always_inline)) inline void quantize_loop(const float* x, int64_t n, float scale, int32_t zp, Q* y) {
  constexpr float k = 12582912.0f;  // 1.5 * 2^23: (v + k) - k rounds |v| < 2^22 half to even
  const int32_t lo = q_min(DTypeOf<Q>::value), hi = q_max(DTypeOf<Q>::value);
  const float a = static_cast<float>(lo - zp - 1), b = static_cast<float>(hi - zp + 1);
  const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi), fz = static_cast<float>(zp);
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] / scale;
    v = v < a ? a : (v > b ? b : v);
    v = v != v ? 0.f : v;
    float r = ((v + k) - k) + fz;
    r = r < flo ? flo : (r > fhi ? fhi : r);
    y[i] = static_cast<Q>(static_cast<int32_t>(r));
  }
}

template <typename Q>
__attribute__((always_inline)) inline void dequantize_loop(const Q* x, int64_t n, float scale, int32_t zp, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zp) * scale;
}

// Both directions for both 8-bit types, in one function per ISA.
struct QdqJob {
  bool quantize;
  bool is_signed;
  const void* x;
  void* y;
  float scale;
  int32_t zp;
};

__attribute__((always_inline)) inline void run_job(const QdqJob& j, int64_t i0, int64_t i1) {
  const int64_t n = i1 - i0;
  if (j.quantize) {
    const float* x = static_cast<const float*>(j.x) + i0;
    if (j.is_signed) {
      quantize_loop(x, n, j.scale, j.zp, static_cast<int8_t*>(j.y) + i0);
    } else {
      quantize_loop(x, n, j.scale, j.zp, static_cast<uint8_t*>(j.y) + i0);
    }
  } else {
    float* y = static_cast<float*>(j.y) + i0;
    if (j.is_signed) {
      dequantize_loop(static_cast<const int8_t*>(j.x) + i0, n, j.scale, j.zp, y);
    } else {
      dequantize_loop(static_cast<const uint8_t*>(j.x) + i0, n, j.scale, j.zp, y);
    }
  }
}

void run_generic(const QdqJob& j, int64_t i0, int64_t i1) { run_job(j, i0, i1); }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// quantize_loop 8 lanes at a time with explicit compares and blends: the compiler keeps the
// scalar loop's NaN handling branchy, so it does not vectorize it.
template <typename Q>
__attribute__((target("avx2"))) int64_t quantize_avx2(const float* x, int64_t n, float scale, int32_t zp, Q* y) {
  const int32_t lo = q_min(DTypeOf<Q>::value), hi = q_max(DTypeOf<Q>::value);
  const __m256 s = _mm256_set1_ps(scale), k = _mm256_set1_ps(12582912.0f);
  const __m256 a = _mm256_set1_ps(static_cast<float>(lo - zp - 1)), b = _mm256_set1_ps(static_cast<float>(hi - zp + 1));
  const __m256 flo = _mm256_set1_ps(static_cast<float>(lo)), fhi = _mm256_set1_ps(static_cast<float>(hi));
  const __m256 fz = _mm256_set1_ps(static_cast<float>(zp)), zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
    v = _mm256_blendv_ps(v, a, _mm256_cmp_ps(v, a, _CMP_LT_OQ));
    v = _mm256_blendv_ps(v, b, _mm256_cmp_ps(v, b, _CMP_GT_OQ));
    v = _mm256_blendv_ps(v, zero, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    __m256 r = _mm256_add_ps(_mm256_sub_ps(_mm256_add_ps(v, k), k), fz);
    r = _mm256_min_ps(_mm256_max_ps(r, flo), fhi);
    const __m256i q = _mm256_cvttps_epi32(r);
    const __m128i p16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const __m128i p8 = std::is_same_v<Q, uint8_t> ? _mm_packus_epi16(p16, p16) : _mm_packs_epi16(p16, p16);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), p8);
  }
  return i;
}

__attribute__((target("avx2"))) void run_avx2(const QdqJob& j, int64_t i0, int64_t i1) {
  if (j.quantize) {
    const float* x = static_cast<const float*>(j.x) + i0;
    const int64_t n = i1 - i0;
    const int64_t done = j.is_signed ? quantize_avx2(x, n, j.scale, j.zp, static_cast<int8_t*>(j.y) + i0)
                                     : quantize_avx2(x, n, j.scale, j.zp, static_cast<uint8_t*>(j.y) + i0);
    run_job(j, i0 + done, i1);
    return;
  }
  run_job(j, i0, i1);
}
bool has_avx2() {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}
#else
void run_avx2(const QdqJob& j, int64_t i0, int64_t i1) { run_job(j, i0, i1); }
bool has_avx2() { return false; }
#endif

// Float32 on the float side, one constant float32 scale, one constant 8-bit zero point (or none).
bool qdq_accepts(const KernelInit& init, bool quantize) {
  if (init.attrs.get_int("output_dtype", 0) != 0 || init.attrs.get_int("block_size", 0) != 0) return false;
  const DType x = init.input_type(0).dtype;
  if (quantize ? x != DType::kFloat : !(x == DType::kUint8 || x == DType::kInt8)) return false;
  const Tensor* s = init.constant(1);
  if (!s || s->dtype() != DType::kFloat || s->numel() != 1) return false;
  const float scale = s->data<float>()[0];
  if (!(scale > 0.f) || !std::isfinite(scale)) return false;  // the reference's behaviour for these
  if (!init.has_input(2)) return true;
  const Tensor* zp = init.constant(2);
  return zp && zp->numel() == 1 && q_is_8bit(zp->dtype()) && (quantize || zp->dtype() == x);
}

class CpuQdqKernel : public OpKernel {
 public:
  CpuQdqKernel(const KernelInit& init, bool quantize) : quantize_(quantize) {
    scale_ = init.constant(1)->data<float>()[0];
    const Tensor* zp = init.has_input(2) ? init.constant(2) : nullptr;
    // QuantizeLinear writes the zero point's type (uint8 without one); DequantizeLinear reads its input's.
    zp_type_ = zp ? zp->dtype() : quantize ? DType::kUint8 : init.input_type(0).dtype;
    zp_ = zp ? q_scalar_zero_point(init.where(), zp, zp_type_, "zero point") : 0;
  }

  std::string algorithm() const override { return has_avx2() ? "per-tensor" : "per-tensor-generic"; }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (quantize_ ? x.dtype() != DType::kFloat : x.dtype() != zp_type_) {
      fail(ctx.where() + ": input " + x.describe() + " does not have the type this node was prepared for");
    }
    Tensor& y = ctx.alloc_output(0, quantize_ ? zp_type_ : DType::kFloat, x.shape());
    const QdqJob job{quantize_, zp_type_ == DType::kInt8, x.raw(), y.raw(), scale_, zp_};
    const auto run = has_avx2() ? run_avx2 : run_generic;
    nn_parallel_for(ctx, x.numel(), 2, [&](int64_t i0, int64_t i1) { run(job, i0, i1); });
  }

 private:
  bool quantize_;
  float scale_ = 1;
  int32_t zp_ = 0;
  DType zp_type_ = DType::kUint8;
};

}  // namespace

void register_cpu_QuantizeDequantize(KernelRegistry& r) {
  r.add({"",
         "QuantizeLinear",
         10,
         22,
         {DType::kFloat},
         [](const KernelInit& init) { return std::make_unique<CpuQdqKernel>(init, true); },
         "cpu",
         10,
         0,
         [](const KernelInit& init) { return qdq_accepts(init, true); }});
  r.add({"",
         "DequantizeLinear",
         10,
         22,
         {DType::kUint8, DType::kInt8},
         [](const KernelInit& init) { return std::make_unique<CpuQdqKernel>(init, false); },
         "cpu",
         10,
         0,
         [](const KernelInit& init) { return qdq_accepts(init, false); }});
}

}  // namespace edge::rt
