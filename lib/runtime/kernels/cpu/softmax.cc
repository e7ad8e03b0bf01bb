// cpu backend: float32 Softmax over contiguous rows (opset >= 13 with the last axis, or any
// axis before opset 13, where the input is coerced to 2-D), chosen when the input's type and
// rank are known at preparation. Per row: the maximum, exp(x - max) with the vectorized exp of
// linalg/vmath.h written to Y, the sum in eight fixed lanes (the same order for any thread
// count) and one multiply by its reciprocal.
#include <algorithm>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/vmath.h"

namespace edge::rt {
namespace {

using linalg::vf8;

// Softmax of one contiguous row of n floats.
__attribute__((always_inline)) inline void softmax_row(const float* x, float* y, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  const vf8 vmx = linalg::vf8_set(mx);
  vf8 acc = linalg::vf8_set(0.f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const vf8 e = linalg::vexp(linalg::vf8_load(x + i) - vmx);
    linalg::vf8_store(y + i, e);
    acc += e;
  }
  float sum = 0;
  for (int k = 0; k < 8; ++k) sum += acc[k];
  if (i < n) {
    float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t k = i; k < n; ++k) tail[k - i] = x[k] - mx;
    const vf8 e = linalg::vexp(linalg::vf8_load(tail));
    for (int64_t k = i; k < n; ++k) {
      y[k] = e[k - i];
      sum += e[k - i];
    }
  }
  const float inv = 1.f / sum;
  for (int64_t k = 0; k < n; ++k) y[k] *= inv;
}

__attribute__((always_inline)) inline void softmax_rows(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * n, y + r * n, n);
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2,fma"))) void softmax_rows_avx2(const float* x, float* y, int64_t rows, int64_t n) {
  softmax_rows(x, y, rows, n);
}
#else
void softmax_rows_avx2(const float* x, float* y, int64_t rows, int64_t n) { softmax_rows(x, y, rows, n); }
#endif
void softmax_rows_generic(const float* x, float* y, int64_t rows, int64_t n) { softmax_rows(x, y, rows, n); }

int64_t default_axis(int opset) { return opset >= 13 ? -1 : 1; }

bool softmax_accepts(const KernelInit& init) {
  const ValueType& t = init.input_type(0);
  if (t.dtype != DType::kFloat || !t.has_shape) return false;
  const auto rank = static_cast<int64_t>(t.shape.size());
  int64_t axis = init.attrs.get_int("axis", default_axis(init.opset));
  if (axis < 0) axis += rank;
  return init.opset < 13 ? axis >= 0 && axis <= rank : axis == rank - 1;
}

class CpuSoftmaxKernel : public OpKernel {
 public:
  explicit CpuSoftmaxKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", default_axis(init.opset))) {}
  std::string algorithm() const override {
    return linalg::sgemm_uses_avx2() ? "softmax-rows-avx2" : "softmax-rows-generic";
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int r = x.rank();
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (x.dtype() != DType::kFloat || axis < 0 || axis > r) {
      fail(ctx.where() + ": axis " + std::to_string(axis_) + " does not fit X " + x.describe());
    }
    int64_t rows = 1, n = 1;
    for (int d = 0; d < r; ++d) (d < axis ? rows : n) *= x.dim(d);
    if (ctx.opset >= 13 && axis != r - 1) fail(ctx.where() + ": prepared for the last axis, got X " + x.describe());
    Tensor& y = ctx.alloc_output(0, DType::kFloat, x.shape());
    if (y.numel() == 0) return;
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const bool avx2 = linalg::sgemm_uses_avx2();
    const int64_t per_task = std::max<int64_t>(1, 8192 / n), tasks = (rows + per_task - 1) / per_task;
    ctx.parallel_for(tasks, [&](int64_t t0, int64_t t1) {
      const int64_t r0 = t0 * per_task, r1 = std::min(rows, t1 * per_task);
      if (avx2) {
        softmax_rows_avx2(px + r0 * n, py + r0 * n, r1 - r0, n);
      } else {
        softmax_rows_generic(px + r0 * n, py + r0 * n, r1 - r0, n);
      }
    });
  }

 private:
  int64_t axis_;
};

}  // namespace

void register_cpu_Softmax(KernelRegistry& r) {
  r.add({"", "Softmax", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuSoftmaxKernel>(), "cpu", 10, 0, softmax_accepts});
}

}  // namespace edge::rt
