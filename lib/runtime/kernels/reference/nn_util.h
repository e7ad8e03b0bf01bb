// Helpers shared by the nn kernels: spatial (conv/pool) attribute resolution and running a
// float32 kernel body on float16 tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace edge::rt {

// Spatial attributes common to Conv, ConvTranspose and the pools, as written on the node.
struct NnSpatialAttrs {
  std::vector<int64_t> kernel;     // kernel_shape (may be empty for Conv: taken from W)
  std::vector<int64_t> strides;    // empty = all 1
  std::vector<int64_t> dilations;  // empty = all 1
  std::vector<int64_t> pads;       // empty = all 0; else 2 * rank (begins then ends)
  std::string auto_pad = "NOTSET";  // NOTSET, SAME_UPPER, SAME_LOWER, VALID
  bool ceil_mode = false;

  // Reads the attributes and checks their values (not their lengths, which depend on the
  // input rank). Throws naming init.where().
  static NnSpatialAttrs parse(const KernelInit& init);
};

// Resolved geometry of one conv/pool window sweep.
struct NnSpatial {
  Shape in, kernel, stride, dil, pad_begin, pad_end, out;  // inline storage: no allocation
  int rank() const { return static_cast<int>(in.size()); }
  int64_t out_numel() const;
  int64_t in_numel() const;
  int64_t kernel_numel() const;
};

// Computes pads and output sizes of a forward window sweep (Conv, pools) over `in`.
// `kernel` overrides a.kernel when non-empty. Throws naming `where` on bad lengths/values.
NnSpatial nn_resolve_spatial(const std::string& where, const NnSpatialAttrs& a, const Shape& in,
                             const Shape& kernel);

// Window contents of every output position of a pooling sweep, shared by all (n, c) planes:
// the input positions of output o are offs[start[o] .. start[o+1]) (row-major flat offsets
// within one plane, kernel positions in row-major order, positions in the padding left out),
// and padded_count[o] counts the window positions inside the padded input.
struct NnPoolPlan {
  std::vector<int64_t> start, offs, padded_count;
};
NnPoolPlan nn_pool_plan(const NnSpatial& g);

// ctx.parallel_for over [0, n) when the job is big enough (about n * cost_per_item scalar
// operations) to pay for waking the pool, else a serial fn(0, n). Callers give each index
// disjoint outputs, so the results are the same either way.
void nn_parallel_for(const KernelContext& ctx, int64_t n, int64_t cost_per_item,
                     RangeFn fn);

// Runs body on a context whose float16 inputs are converted to float32; afterwards every
// float32 output is converted back to float16 (outputs listed in keep_f32 stay float32).
void nn_run_f16_as_f32(KernelContext& ctx, const std::function<void(KernelContext&)>& body,
                       const std::vector<int>& keep_f32 = {});

// True when the tensor's type is float16.
inline bool nn_is_f16(const Tensor& t) { return t.dtype() == DType::kFloat16; }

// Throws unless the input is float32 or float64.
void nn_require_float(const KernelContext& ctx, const Tensor& t);
// The shared start of the windowed pools (AveragePool, LpPool): X float of rank >= 3, its
// window geometry resolved into *g and the output [N, C, out...] allocated in X's type.
// Returns nullptr when the output is empty (nothing to compute).
Tensor* nn_pool_output(KernelContext& ctx, const Tensor& x, const NnSpatialAttrs& attrs, NnSpatial* g);

// Conv/ConvTranspose inputs: float32/float64 X, W (and B) of one type, X of rank >= 3 and
// W of the same rank. Throws naming the node.
void nn_check_conv_inputs(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* b);

// GlobalAveragePool / GlobalMaxPool body for float32/float64: y[n, c, 1, ...] =
// reduce(plane, plane_size) over each (n, c) plane of X (rank >= 3).
template <typename Reduce>
void nn_global_pool(KernelContext& ctx, Reduce reduce) {
  const Tensor& x = ctx.input(0);
  nn_require_float(ctx, x);
  if (x.rank() < 3) fail(ctx.where() + ": X must have rank >= 3, got " + x.describe());
  Shape out(x.shape().size(), 1);
  out[0] = x.dim(0);
  out[1] = x.dim(1);
  Tensor& y = ctx.alloc_output(0, x.dtype(), out);
  const int64_t planes = x.dim(0) * x.dim(1), sp = planes == 0 ? 0 : x.numel() / planes;
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    nn_parallel_for(ctx, planes, sp, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) py[p] = reduce(px + p * sp, sp);
    });
  };
  if (x.dtype() == DType::kFloat) {
    run(float{});
  } else {
    run(double{});
  }
}

}  // namespace edge::rt
