// cpu backend: float32 2-D MaxPool (NCHW, any kernel, strides, dilations, pads / auto_pad,
// ceil_mode) without the Indices output, chosen when the input is known at preparation to be a
// rank-4 float tensor. Row-wise: for each output row, the valid kernel rows are folded into
// the output row one kernel column at a time over the output columns whose tap lands inside
// the input (ranges computed once per input size), so the inner loop has no bounds tests and
// no branches (a select the compiler turns into max instructions). The reference kernel walks
// a list of window offsets per output element. The result is the same maximum; only NaN
// inputs can differ (here a NaN never wins; in the reference one that opens a window does).
#include <algorithm>
#include <limits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

bool max_pool_accepts(const KernelInit& init) {
  const ValueType& t = init.input_type(0);
  const bool indices = init.node.output_size() > 1 && !init.node.output(1).empty();
  return !indices && t.dtype == DType::kFloat && t.has_shape && t.shape.size() == 4;
}

// Output columns [lo, hi) whose tap at kernel column k reads inside [0, width).
struct TapRange {
  int64_t lo = 0, hi = 0, offset = 0;  // offset: input column of output column 0 at this tap
};

class CpuMaxPoolKernel : public OpKernel {
 public:
  explicit CpuMaxPoolKernel(const KernelInit& init) : attrs_(NnSpatialAttrs::parse(init)) {
    if (attrs_.kernel.size() != 2) fail(init.where() + ": the cpu MaxPool takes 2-D kernels");
  }

  std::string algorithm() const override { return "maxpool-2d-rows"; }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat || x.rank() != 4) {
      fail(ctx.where() + ": X must be float32 of rank 4, got " + x.describe());
    }
    const Shape in{x.dim(2), x.dim(3)};
    if (!has_geom_ || in != geom_in_) prepare_geometry(ctx, in);
    const NnSpatial& g = geom_;
    Tensor& y = ctx.alloc_output(0, DType::kFloat, {x.dim(0), x.dim(1), g.out[0], g.out[1]});
    if (y.numel() == 0) return;
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1], KH = g.kernel[0];
    const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dil[0], pt = g.pad_begin[0];
    const float* px = x.data<float>();
    float* py = y.data<float>();
    const auto& taps = taps_;
    nn_parallel_for(ctx, x.dim(0) * x.dim(1), OH * OW * KH * static_cast<int64_t>(taps.size()),
                    [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const float* xp = px + p * H * W;
        for (int64_t oh = 0; oh < OH; ++oh) {
          float* yrow = py + (p * OH + oh) * OW;
          std::fill(yrow, yrow + OW, -std::numeric_limits<float>::infinity());
          for (int64_t kh = 0; kh < KH; ++kh) {
            const int64_t ih = oh * sh + kh * dh - pt;
            if (ih < 0 || ih >= H) continue;
            const float* xrow = xp + ih * W;
            for (const TapRange& t : taps) {
              const float* src = xrow + t.lo * sw + t.offset;  // the tap of output column t.lo
              float* dst = yrow + t.lo;
              const int64_t n = t.hi - t.lo;
              if (sw == 1) {
                for (int64_t i = 0; i < n; ++i) dst[i] = src[i] > dst[i] ? src[i] : dst[i];
              } else {
                for (int64_t i = 0; i < n; ++i) {
                  const float v = src[i * sw];
                  dst[i] = v > dst[i] ? v : dst[i];
                }
              }
            }
          }
        }
      }
    });
  }

 private:
  void prepare_geometry(const KernelContext& ctx, const Shape& in) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, in, {});
    const int64_t W = geom_.in[1], OW = geom_.out[1], sw = geom_.stride[1], dw = geom_.dil[1];
    taps_.clear();
    for (int64_t kw = 0; kw < geom_.kernel[1]; ++kw) {
      TapRange t;
      t.offset = kw * dw - geom_.pad_begin[1];  // input column = ow * sw + offset
      // ow * sw + offset >= 0  and  ow * sw + offset <= W - 1
      t.lo = t.offset >= 0 ? 0 : (-t.offset + sw - 1) / sw;
      t.hi = W - 1 - t.offset < 0 ? 0 : std::min(OW, (W - 1 - t.offset) / sw + 1);
      if (t.lo < t.hi) taps_.push_back(t);
    }
    geom_in_ = in;
    has_geom_ = true;
  }

  NnSpatialAttrs attrs_;
  bool has_geom_ = false;
  Shape geom_in_;
  NnSpatial geom_;
  std::vector<TapRange> taps_;
};

}  // namespace

void register_cpu_MaxPool(KernelRegistry& r) {
  r.add({"", "MaxPool", 1, kOpsetMax, {DType::kFloat}, factory_of<CpuMaxPoolKernel>(), "cpu", 10, 0,
         max_pool_accepts});
}

}  // namespace edge::rt
