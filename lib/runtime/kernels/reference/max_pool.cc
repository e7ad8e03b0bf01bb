// MaxPool: maximum over each N-d window (kernel_shape, strides, dilations, pads / auto_pad,
// ceil_mode). The optional Indices output holds the flat index of the chosen element in the
// whole input (row-major, or column-major over the spatial dims with storage_order=1).
#include <limits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

class MaxPoolKernel : public OpKernel {
 public:
  explicit MaxPoolKernel(const KernelInit& init)
      : attrs_(NnSpatialAttrs::parse(init)), storage_order_(init.attrs.get_int("storage_order", 0)) {
    if (attrs_.kernel.empty()) fail(init.where() + ": kernel_shape is required");
    if (storage_order_ != 0 && storage_order_ != 1) fail(init.where() + ": storage_order must be 0 or 1");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (nn_is_f16(x)) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
    Shape in(x.shape().begin() + 2, x.shape().end());
    if (!has_plan_ || in != plan_in_) {  // geometry and window plan are kept until the size changes
      geom_ = nn_resolve_spatial(ctx.where(), attrs_, in, {});
      plan_ = nn_pool_plan(geom_);
      plan_in_ = in;
      has_plan_ = true;
    }
    const NnSpatial& g = geom_;
    Shape out{x.dim(0), x.dim(1)};
    out.insert(out.end(), g.out.begin(), g.out.end());
    bool ok = false;
    switch (x.dtype()) {
      case DType::kFloat: run<float>(ctx, x, g, out); ok = true; break;
      case DType::kDouble: run<double>(ctx, x, g, out); ok = true; break;
      case DType::kInt8: run<int8_t>(ctx, x, g, out); ok = true; break;
      case DType::kUint8: run<uint8_t>(ctx, x, g, out); ok = true; break;
      default: break;
    }
    if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }

 private:
  template <typename T>
  void run(KernelContext& ctx, const Tensor& x, const NnSpatial& g, const Shape& out) const {
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    const bool want_idx = ctx.num_outputs() > 1 && ctx.has_output(1);
    int64_t* pi = want_idx ? ctx.alloc_output(1, DType::kInt64, out).data<int64_t>() : nullptr;
    const int64_t planes = x.dim(0) * x.dim(1), on = g.out_numel(), in_n = g.in_numel();
    if (y.numel() == 0) return;
    const NnPoolPlan& plan = plan_;
    const T* px = x.data<T>();
    T* py = y.data<T>();
    // Row-major spatial offset -> column-major spatial index (storage_order = 1).
    auto col_major = [&](int64_t off) {
      int64_t idx = 0, mul = 1;
      Shape c(g.in.size());
      for (size_t d = g.in.size(); d-- > 0;) {
        c[d] = off % g.in[d];
        off /= g.in[d];
      }
      for (size_t d = 0; d < g.in.size(); ++d) {
        idx += c[d] * mul;
        mul *= g.in[d];
      }
      return idx;
    };
    nn_parallel_for(ctx, planes, static_cast<int64_t>(plan.offs.size()) + on, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xp = px + p * in_n;
        for (int64_t o = 0; o < on; ++o) {
          T best = std::numeric_limits<T>::lowest();
          if constexpr (std::numeric_limits<T>::has_infinity) best = -std::numeric_limits<T>::infinity();
          int64_t arg = -1;
          for (int64_t i = plan.start[static_cast<size_t>(o)]; i < plan.start[static_cast<size_t>(o) + 1]; ++i) {
            const int64_t off = plan.offs[static_cast<size_t>(i)];
            if (arg < 0 || xp[off] > best) {
              best = xp[off];
              arg = off;
            }
          }
          py[p * on + o] = best;
          if (pi) {
            int64_t sp = arg < 0 ? 0 : (storage_order_ == 1 ? col_major(arg) : arg);
            pi[p * on + o] = p * in_n + sp;
          }
        }
      }
    });
  }

  NnSpatialAttrs attrs_;
  bool has_plan_ = false;
  Shape plan_in_;
  NnSpatial geom_;
  NnPoolPlan plan_;
  int64_t storage_order_;
};

}  // namespace

void register_MaxPool(KernelRegistry& r) {
  r.add({"",
         "MaxPool",
         1,
         kOpsetMax,
         {DType::kFloat, DType::kDouble, DType::kFloat16, DType::kInt8, DType::kUint8},
         factory_of<MaxPoolKernel>()});
}

}  // namespace edge::rt
