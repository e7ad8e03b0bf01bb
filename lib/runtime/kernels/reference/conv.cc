// Conv: N-d grouped convolution (cross-correlation) Y = W * X + B with strides, dilations,
// explicit pads or auto_pad. Computed per (batch, group) as im2col + GEMM (1x1 kernels with
// unit stride and no padding multiply the input directly).
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/im2col.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class ConvKernel : public OpKernel {
 public:
  explicit ConvKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)), group_(init.attrs.get_int("group", 1)) {
    if (group_ <= 0) fail(init.where() + ": group must be positive");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    const Tensor& w = ctx.input(1);
    const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    nn_check_conv_inputs(ctx, x, w, b);
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), Cg = w.dim(1);
    if (C % group_ != 0 || C / group_ != Cg) {
      fail(ctx.where() + ": X has " + std::to_string(C) + " channels, W expects " + std::to_string(Cg) +
           " per group with group=" + std::to_string(group_));
    }
    if (M % group_ != 0) fail(ctx.where() + ": output channels not divisible by group");
    Shape kernel(w.shape().begin() + 2, w.shape().end());
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel) {
      fail(ctx.where() + ": kernel_shape does not match W " + w.describe());
    }
    Shape in(x.shape().begin() + 2, x.shape().end());
    NnSpatial geom = nn_resolve_spatial(ctx.where(), attrs_, in, kernel);
    if (b && (b->rank() != 1 || b->dim(0) != M)) {
      fail(ctx.where() + ": B must have shape [" + std::to_string(M) + "], got " + b->describe());
    }
    Shape out{N, M};
    out.insert(out.end(), geom.out.begin(), geom.out.end());
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, w, b, geom, y);
    } else {
      run<double>(ctx, x, w, b, geom, y);
    }
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b, const NnSpatial& geom,
           Tensor& y) const {
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), G = group_;
    const int64_t Cg = C / G, Mg = M / G, kprod = geom.kernel_numel(), Kg = Cg * kprod;
    const int64_t on = geom.out_numel(), in_n = geom.in_numel();
    const T* px = x.data<T>();
    const T* pw = w.data<T>();
    T* py = y.data<T>();
    bool pointwise = true;
    for (int d = 0; d < geom.rank(); ++d) {
      const size_t ud = static_cast<size_t>(d);
      pointwise = pointwise && geom.kernel[ud] == 1 && geom.stride[ud] == 1 && geom.pad_begin[ud] == 0 &&
                  geom.pad_end[ud] == 0;
    }
    if (b) {
      const T* pb = b->data<T>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) std::fill(py + (n * M + m) * on, py + (n * M + m + 1) * on, pb[m]);
    }
    const T beta = b ? T(1) : T(0);
    // col: Kg * on elements of work space for this task's patch matrix.
    auto task = [&](int64_t t, T* col, const KernelContext* c) {
      const int64_t n = t / G, g = t % G;
      const T* xg = px + (n * C + g * Cg) * in_n;
      const T* colp = xg;
      if (!pointwise) {
        if (c) {
          nn_parallel_for(*c, Kg, on, [&](int64_t r0, int64_t r1) { nn_im2col(xg, geom, r0, r1, col); });
        } else {
          nn_im2col(xg, geom, 0, Kg, col);
        }
        colp = col;
      }
      const T* wg = pw + g * Mg * Kg;
      T* yg = py + (n * M + g * Mg) * on;
      if constexpr (std::is_same_v<T, float>) {
        linalg::sgemm(false, false, Mg, on, Kg, 1.f, wg, Kg, colp, on, beta, yg, on, c ? c->pool : nullptr);
      } else {
        linalg::gemm_ref<T>(false, false, Mg, on, Kg, T(1), wg, Kg, colp, on, beta, yg, on);
      }
    };
    const int64_t tasks = N * G;
    const double flops = static_cast<double>(Mg) * static_cast<double>(Kg) * static_cast<double>(on);
    if (tasks >= 4 || (tasks > 1 && flops < 1.0e6)) {
      nn_parallel_for(ctx, tasks, static_cast<int64_t>(flops), [&](int64_t t0, int64_t t1) {
        std::vector<T> col(pointwise ? 0 : static_cast<size_t>(Kg * on));  // one per worker
        for (int64_t t = t0; t < t1; ++t) task(t, col.data(), nullptr);
      });
    } else {
      T* col = pointwise ? nullptr : static_cast<T*>(ctx.scratch(static_cast<size_t>(Kg * on) * sizeof(T)));
      for (int64_t t = 0; t < tasks; ++t) task(t, col, &ctx);
    }
  }

  NnSpatialAttrs attrs_;
  int64_t group_;
};

}  // namespace

void register_Conv(KernelRegistry& r) {
  r.add({"", "Conv", 1, kOpsetMax, float_types(), factory_of<ConvKernel>()});
}

}  // namespace edge::rt
