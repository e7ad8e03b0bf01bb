// Backward of the ops that move elements without arithmetic: Transpose, Concat, Split,
// Expand and Tile. Each gradient is the forward's data movement run backwards (copies for the
// one-to-one ops, sums where the forward duplicated an element). Shape inputs (Expand's
// shape, Tile's repeats, Split's split) are not differentiable.
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

// Transpose: Y = X permuted by perm (default: reversed dims); dX[perm^-1] = dY.
void transpose_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int rank = x.rank();
  std::vector<int64_t> perm = ctx.attrs->get_ints("perm");
  if (perm.empty()) {
    for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
  }
  if (static_cast<int>(perm.size()) != rank) fail(ctx.where() + ": perm does not match the input rank");
  const auto xs = strides_of(x.shape());
  // Output dim d walks input dim perm[d].
  std::vector<int64_t> walk(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d) {
    walk[static_cast<size_t>(d)] = xs[static_cast<size_t>(grad_axis(ctx, perm[static_cast<size_t>(d)], rank, "perm"))];
  }
  Tensor& dx = ctx.grad(0);
  float* d = dx.data<float>();
  const float* g = dy.data<float>();
  for_each_broadcast(dy.shape(), walk, [&](int64_t i, int64_t off) { d[off] = g[i]; });
}

// Concat: dX_i is the slab of dY along `axis` that X_i filled.
void concat_grad(GradContext& ctx) {
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int rank = dy.rank();
  const int64_t axis = grad_axis(ctx, ctx.attrs->require_int("axis"), rank);
  const AxisSplit out = split_at_axis(dy.shape(), axis);
  const float* g = dy.data<float>();
  int64_t offset = 0;  // along the axis
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const int64_t len = ctx.input(i).dim(static_cast<int>(axis));
    if (ctx.wants_grad(i)) {
      Tensor& dx = ctx.grad(i);
      float* d = dx.data<float>();
      const int64_t block = len * out.inner;
      for (int64_t o = 0; o < out.outer; ++o) {
        const float* src = g + (o * out.dim + offset) * out.inner;
        std::copy(src, src + block, d + o * block);
      }
    }
    offset += len;
  }
}

// Split: dX is the outputs' gradients concatenated along `axis` (zeros for an output that no
// gradient reaches).
void split_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = grad_axis(ctx, ctx.attrs->get_int("axis", 0), x.rank());
  const AxisSplit in = split_at_axis(x.shape(), axis);
  Tensor& dx = ctx.grad(0);
  float* d = dx.data<float>();
  int64_t offset = 0;
  for (int j = 0; j < ctx.num_outputs(); ++j) {
    const int64_t len = ctx.output(j).dim(static_cast<int>(axis));
    if (const Tensor* gj = ctx.output_grad(j)) {
      const Tensor g = as_float(*gj);
      const int64_t block = len * in.inner;
      for (int64_t o = 0; o < in.outer; ++o) {
        const float* src = g.data<float>() + o * block;
        std::copy(src, src + block, d + (o * in.dim + offset) * in.inner);
      }
    }
    offset += len;
  }
  if (offset != in.dim) fail_internal(ctx.where() + ": the outputs do not add up to the input along the axis");
}

// Expand: X is broadcast to the output; dX sums dY over the broadcast dims.
void expand_grad(GradContext& ctx) {
  ctx.set_grad(0, reduce_to_shape(*ctx.output_grad(0), ctx.input(0).shape()).clone());
}

// Tile: Y viewed as [r0, x0, r1, x1, ...] (repeats and input dims interleaved, which is Y's
// row-major layout); every copy of an input element adds its gradient.
void tile_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int rank = x.rank();
  const auto xs = strides_of(x.shape());
  Shape view;
  std::vector<int64_t> walk;
  for (int d = 0; d < rank; ++d) {
    const int64_t xd = x.dim(d);
    const int64_t reps = xd == 0 ? 0 : dy.dim(d) / xd;
    view.push_back(reps);
    walk.push_back(0);
    view.push_back(xd);
    walk.push_back(xs[static_cast<size_t>(d)]);
  }
  Tensor& dx = ctx.grad(0);
  float* d = dx.data<float>();
  const float* g = dy.data<float>();
  for_each_broadcast(view, walk, [&](int64_t i, int64_t off) { d[off] += g[i]; });
}

}  // namespace

void register_shuffle_grads(GradRegistry& r) {
  r.add({"", "Transpose", transpose_grad, {}, false});
  r.add({"", "Concat", concat_grad, {}, false});
  r.add({"", "Split", split_grad, {0}, true});
  r.add({"", "Expand", expand_grad, {0}, false});
  r.add({"", "Tile", tile_grad, {0}, false});
}

}  // namespace edge::train
