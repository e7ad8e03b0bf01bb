// cpu backend: float32 Exp, Erf, Sigmoid and Tanh with the vectorized math of linalg/vmath.h
// (one 8-lane loop compiled for AVX2+FMA and as portable vector code, picked once per run),
// chosen for inputs whose type is known to be float32 when the session is prepared.
#include <algorithm>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/vmath.h"

namespace edge::rt {
namespace {

enum class UnaryFn { kExp, kErf, kSigmoid, kTanh };

template <UnaryFn F>
__attribute__((always_inline)) inline void unary_body(const float* x, float* y, int64_t n) {
  if constexpr (F == UnaryFn::kExp) linalg::vmap(x, y, n, linalg::VExp{});
  if constexpr (F == UnaryFn::kErf) linalg::vmap(x, y, n, linalg::VErf{});
  if constexpr (F == UnaryFn::kSigmoid) linalg::vmap(x, y, n, linalg::VSigmoid{});
  if constexpr (F == UnaryFn::kTanh) linalg::vmap(x, y, n, linalg::VTanh{});
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
template <UnaryFn F>
__attribute__((target("avx2,fma"))) void unary_avx2(const float* x, float* y, int64_t n) {
  unary_body<F>(x, y, n);
}
#else
template <UnaryFn F>
void unary_avx2(const float* x, float* y, int64_t n) {
  unary_body<F>(x, y, n);
}
#endif
template <UnaryFn F>
void unary_generic(const float* x, float* y, int64_t n) {
  unary_body<F>(x, y, n);
}

bool float_input(const KernelInit& init) { return init.input_type(0).dtype == DType::kFloat; }

template <UnaryFn F>
class CpuUnaryKernel : public OpKernel {
 public:
  explicit CpuUnaryKernel(const KernelInit&) {}
  std::string algorithm() const override { return linalg::sgemm_uses_avx2() ? "vmath-avx2" : "vmath-generic"; }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat) fail(ctx.where() + ": X must be float32, got " + x.describe());
    Tensor& y = ctx.alloc_output(0, DType::kFloat, x.shape());
    const int64_t n = x.numel();
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const bool avx2 = linalg::sgemm_uses_avx2();
    constexpr int64_t kChunk = 4096;  // fixed chunks: the split never changes a result
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    auto run = [&](int64_t c0, int64_t c1) {
      const int64_t b = c0 * kChunk, e = std::min(n, c1 * kChunk);
      if (avx2) {
        unary_avx2<F>(px + b, py + b, e - b);
      } else {
        unary_generic<F>(px + b, py + b, e - b);
      }
    };
    if (chunks > 1) {
      ctx.parallel_for(chunks, run);
    } else if (n > 0) {
      run(0, 1);
    }
  }
};

}  // namespace

void register_cpu_UnaryMath(KernelRegistry& r) {
  const std::vector<DType> f32{DType::kFloat};
  r.add({"", "Exp", 6, kOpsetMax, f32, factory_of<CpuUnaryKernel<UnaryFn::kExp>>(), "cpu", 10, 0, float_input});
  r.add({"", "Erf", 9, kOpsetMax, f32, factory_of<CpuUnaryKernel<UnaryFn::kErf>>(), "cpu", 10, 0, float_input});
  r.add({"", "Sigmoid", 6, kOpsetMax, f32, factory_of<CpuUnaryKernel<UnaryFn::kSigmoid>>(), "cpu", 10, 0, float_input});
  r.add({"", "Tanh", 6, kOpsetMax, f32, factory_of<CpuUnaryKernel<UnaryFn::kTanh>>(), "cpu", 10, 0, float_input});
}

}  // namespace edge::rt
