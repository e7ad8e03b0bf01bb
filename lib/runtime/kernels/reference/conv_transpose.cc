// ConvTranspose: N-d grouped transposed convolution (the adjoint of Conv) plus bias, with
// strides, dilations, pads / auto_pad, output_padding and an optional explicit output_shape.
// Computed per (batch, group) as GEMM (W^T * X into a column matrix) + col2im.
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/im2col.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class ConvTransposeKernel : public OpKernel {
 public:
  explicit ConvTransposeKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)),
        group_(init.attrs.get_int("group", 1)),
        output_padding_(init.attrs.get_ints("output_padding")),
        output_shape_(init.attrs.get_ints("output_shape")) {
    if (group_ <= 0) fail(init.where() + ": group must be positive");
    for (int64_t v : output_padding_)
      if (v < 0) fail(init.where() + ": output_padding must not be negative");
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
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(1) * group_;
    if (w.dim(0) != C || C % group_ != 0) {
      fail(ctx.where() + ": W " + w.describe() + " does not match X " + x.describe() + " with group=" +
           std::to_string(group_));
    }
    Shape kernel(w.shape().begin() + 2, w.shape().end());
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel) {
      fail(ctx.where() + ": kernel_shape does not match W " + w.describe());
    }
    if (b && (b->rank() != 1 || b->dim(0) != M)) {
      fail(ctx.where() + ": B must have shape [" + std::to_string(M) + "], got " + b->describe());
    }
    NnSpatial g = geometry(ctx, x, kernel);
    Shape out{N, M};
    out.insert(out.end(), g.in.begin(), g.in.end());
    Tensor& y = ctx.alloc_output_zeroed(0, x.dtype(), out);
    if (y.numel() == 0) return;
    if (x.dtype() == DType::kFloat) {
      run<float>(ctx, x, w, b, g, y);
    } else {
      run<double>(ctx, x, w, b, g, y);
    }
  }

 private:
  // Geometry of the equivalent forward sweep: image = Y (g.in), positions = X (g.out).
  NnSpatial geometry(const KernelContext& ctx, const Tensor& x, const std::vector<int64_t>& kernel) const {
    const size_t r = static_cast<size_t>(x.rank() - 2);
    auto sized = [&](const std::vector<int64_t>& v, int64_t def, const char* name) {
      if (v.empty()) return std::vector<int64_t>(r, def);
      if (v.size() != r) fail(ctx.where() + ": " + name + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(r));
      return v;
    };
    NnSpatial g;
    g.kernel = kernel;
    g.stride = sized(attrs_.strides, 1, "strides");
    g.dil = sized(attrs_.dilations, 1, "dilations");
    std::vector<int64_t> opad = sized(output_padding_, 0, "output_padding");
    std::vector<int64_t> oshape = output_shape_;
    if (oshape.size() == r + 2) oshape.erase(oshape.begin(), oshape.begin() + 2);
    if (!oshape.empty() && oshape.size() != r) fail(ctx.where() + ": output_shape has the wrong number of values");
    if (!attrs_.pads.empty() && attrs_.pads.size() != 2 * r) fail(ctx.where() + ": pads has the wrong number of values");
    g.out.assign(x.shape().begin() + 2, x.shape().end());
    g.in.assign(r, 0);
    g.pad_begin.assign(r, 0);
    g.pad_end.assign(r, 0);
    const bool same = attrs_.auto_pad == "SAME_UPPER" || attrs_.auto_pad == "SAME_LOWER";
    for (size_t i = 0; i < r; ++i) {
      const int64_t in = g.out[i], s = g.stride[i];
      const int64_t full = s * (in - 1) + opad[i] + (kernel[i] - 1) * g.dil[i] + 1;
      if (!oshape.empty() || same) {
        const int64_t target = oshape.empty() ? in * s : oshape[i];
        if (target < 0) fail(ctx.where() + ": negative output_shape");
        const int64_t total = std::max<int64_t>(0, full - target);
        if (attrs_.auto_pad == "SAME_UPPER") {
          g.pad_begin[i] = total / 2;
        } else {
          g.pad_begin[i] = total - total / 2;
        }
        g.pad_end[i] = total - g.pad_begin[i];
        g.in[i] = target;
      } else {
        if (attrs_.auto_pad == "NOTSET" && !attrs_.pads.empty()) {
          g.pad_begin[i] = attrs_.pads[i];
          g.pad_end[i] = attrs_.pads[i + r];
        }
        g.in[i] = full - g.pad_begin[i] - g.pad_end[i];
        if (g.in[i] < 0) fail(ctx.where() + ": pads are larger than the output");
      }
    }
    return g;
  }

  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b, const NnSpatial& g,
           Tensor& y) const {
    const int64_t N = x.dim(0), C = x.dim(1), G = group_, Cg = C / G, Mg = w.dim(1), M = Mg * G;
    const int64_t kprod = g.kernel_numel(), rows = Mg * kprod;
    const int64_t xn = g.out_numel(), yn = g.in_numel();
    const T* px = x.data<T>();
    const T* pw = w.data<T>();
    T* py = y.data<T>();
    if (b) {
      const T* pb = b->data<T>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m) std::fill(py + (n * M + m) * yn, py + (n * M + m + 1) * yn, pb[m]);
    }
    auto task = [&](int64_t t, std::vector<T>& col, const KernelContext* c) {
      const int64_t n = t / G, gi = t % G;
      col.resize(static_cast<size_t>(rows * xn));
      const T* xg = px + (n * C + gi * Cg) * xn;
      const T* wg = pw + gi * Cg * rows;
      if constexpr (std::is_same_v<T, float>) {
        linalg::sgemm(true, false, rows, xn, Cg, 1.f, wg, rows, xg, xn, 0.f, col.data(), xn, c ? c->pool : nullptr);
      } else {
        linalg::gemm_ref<T>(true, false, rows, xn, Cg, T(1), wg, rows, xg, xn, T(0), col.data(), xn);
      }
      T* yg = py + (n * M + gi * Mg) * yn;
      if (c) {
        nn_parallel_for(*c, Mg, kprod * xn, [&](int64_t m0, int64_t m1) { nn_col2im(col.data(), g, m0 * kprod, m1 * kprod, yg); });
      } else {
        nn_col2im(col.data(), g, 0, rows, yg);
      }
    };
    const int64_t tasks = N * G;
    if (tasks >= 4) {
      nn_parallel_for(ctx, tasks, rows * xn * Cg, [&](int64_t t0, int64_t t1) {
        std::vector<T> col;
        for (int64_t t = t0; t < t1; ++t) task(t, col, nullptr);
      });
    } else {
      std::vector<T> col;
      for (int64_t t = 0; t < tasks; ++t) task(t, col, &ctx);
    }
  }

  NnSpatialAttrs attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
};

}  // namespace

void register_ConvTranspose(KernelRegistry& r) {
  r.add({"", "ConvTranspose", 1, kOpsetMax, float_types(), factory_of<ConvTransposeKernel>()});
}

}  // namespace edge::rt
