// Gemm: Y = alpha * op(A) * op(B) + beta * C, with op = transpose when transA/transB is set
// and C (optional from opset 11) unidirectionally broadcast to the [M, N] result.
#include <cmath>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class GemmKernel : public OpKernel {
 public:
  explicit GemmKernel(const KernelInit& init)
      : alpha_(init.attrs.get_float("alpha", 1.f)),
        beta_(init.attrs.get_float("beta", 1.f)),
        ta_(init.attrs.get_int("transA", 0) != 0),
        tb_(init.attrs.get_int("transB", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    if (nn_is_f16(a)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    const Tensor& b = ctx.input(1);
    const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (a.rank() != 2 || b.rank() != 2) {
      fail(ctx.where() + ": A and B must be 2-D, got " + a.describe() + " and " + b.describe());
    }
    if (a.dtype() != b.dtype() || (c && c->dtype() != a.dtype())) {
      fail(ctx.where() + ": input types differ");
    }
    const int64_t M = ta_ ? a.dim(1) : a.dim(0), K = ta_ ? a.dim(0) : a.dim(1);
    const int64_t KB = tb_ ? b.dim(1) : b.dim(0), N = tb_ ? b.dim(0) : b.dim(1);
    if (K != KB) fail(ctx.where() + ": inner dimensions differ (" + a.describe() + " x " + b.describe() + ")");
    Tensor& y = ctx.alloc_output(0, a.dtype(), {M, N});
    if (c && c->rank() > 2) fail(ctx.where() + ": C must have rank <= 2, got " + c->describe());
    int64_t cm = 1, cn = 1;
    if (c && c->rank() == 2) {
      cm = c->dim(0);
      cn = c->dim(1);
    } else if (c && c->rank() == 1) {
      cn = c->dim(0);
    }
    if (c && ((cm != 1 && cm != M) || (cn != 1 && cn != N))) {
      fail(ctx.where() + ": C " + c->describe() + " cannot be broadcast to " + shape_str({M, N}));
    }
    bool ok = dispatch_numeric(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                    std::is_same_v<T, int64_t> || std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>) {
        T* py = y.data<T>();
        if (c) {
          const T* pc = c->data<T>();
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N; ++j) py[i * N + j] = pc[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
        }
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        const int64_t lda = a.dim(1), ldb = b.dim(1);
        if constexpr (std::is_same_v<T, float>) {
          linalg::sgemm(ta_, tb_, M, N, K, alpha_, pa, lda, pb, ldb, c ? beta_ : 0.f, py, N, ctx.pool);
        } else {
          linalg::gemm_ref<T>(ta_, tb_, M, N, K, scalar<T>(ctx, alpha_), pa, lda, pb, ldb,
                         c ? scalar<T>(ctx, beta_) : T(0), py, N);
        }
      } else {
        fail_unsupported(ctx.where() + ": input type " + dtype_name(a.dtype()) + " is not supported");
      }
    });
    if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(a.dtype()) + " is not supported");
  }

 private:
  // alpha / beta in the element type; integer types need integral values.
  template <typename T>
  static T scalar(const KernelContext& ctx, float v) {
    if constexpr (std::is_integral_v<T>) {
      if (!(std::fabs(v) < 9.0e18f) || std::trunc(v) != v) {
        fail(ctx.where() + ": alpha and beta must be integers for integer inputs");
      }
      return static_cast<T>(static_cast<int64_t>(v));
    } else {
      return static_cast<T>(v);
    }
  }

  float alpha_, beta_;
  bool ta_, tb_;
};

}  // namespace

void register_Gemm(KernelRegistry& r) {
  r.add({"",
         "Gemm",
         1,
         kOpsetMax,
         {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt32, DType::kInt64, DType::kUint32,
          DType::kUint64},
         factory_of<GemmKernel>()});
}

}  // namespace edge::rt
