// Backward of the indexing ops: Slice, Gather, Pad and Where. Each maps an output element
// back to the input element it was read from and adds the output's gradient there (a
// scatter-add where the forward read an element more than once: Gather with repeated
// indices, Pad in reflect/edge/wrap mode). Index, shape and condition inputs are not
// differentiable; Pad's constant_value is (it fills the padding).
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

// Slice: Y[i] = X[start + i * step] along each sliced axis; dX is dY scattered back there.
// starts/ends/axes are attributes before opset 10, inputs (plus steps) from opset 10. Only
// the clamped start and the step are needed: dY's shape already gives the count.
void slice_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int rank = x.rank();
  std::vector<int64_t> starts, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.attrs->get_ints("starts");
    axes = ctx.attrs->get_ints("axes");
  } else {
    starts = ints_of(ctx.input(1));
    if (ctx.has_input(3)) axes = ints_of(ctx.input(3));
    if (ctx.has_input(4)) steps = ints_of(ctx.input(4));
  }
  if (axes.empty()) {
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    fail(ctx.where() + ": starts, axes and steps differ in length");
  }
  const auto xs = strides_of(x.shape());
  std::vector<int64_t> walk(xs.begin(), xs.end());
  int64_t base = 0;
  for (size_t k = 0; k < starts.size(); ++k) {
    const auto a = static_cast<size_t>(grad_axis(ctx, axes[k], rank));
    const int64_t dim = x.shape()[a], step = steps[k];
    if (step == 0) fail(ctx.where() + ": step 0");
    int64_t s = starts[k];
    if (s < 0) s += dim;
    s = step > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, dim - 1);
    base += s * xs[a];
    walk[a] = xs[a] * step;
  }
  Tensor& dx = ctx.grad(0);
  if (dy.numel() == 0) return;
  float* d = dx.data<float>() + base;
  const float* g = dy.data<float>();
  for_each_broadcast(dy.shape(), walk, [&](int64_t i, int64_t off) { d[off] = g[i]; });
}

// Gather: Y[o, j, i] = X[o, idx[j], i] (j over the indices' elements); dX scatter-adds.
void gather_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int64_t axis = grad_axis(ctx, ctx.attrs->get_int("axis", 0), x.rank());
  const AxisSplit s = split_at_axis(x.shape(), axis);
  const auto idx = ints_of(ctx.input(1));
  const auto n = static_cast<int64_t>(idx.size());
  Tensor& dx = ctx.grad(0);
  float* d = dx.data<float>();
  const float* g = dy.data<float>();
  for (int64_t j = 0; j < n; ++j) {
    int64_t k = idx[static_cast<size_t>(j)];
    if (k < 0) k += s.dim;
    if (k < 0 || k >= s.dim) fail(ctx.where() + ": index " + std::to_string(idx[static_cast<size_t>(j)]) + " is out of range");
  }
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t k = idx[static_cast<size_t>(j)];
      if (k < 0) k += s.dim;
      add_into(d + (o * s.dim + k) * s.inner, g + (o * n + j) * s.inner, s.inner);
    }
  }
}

// Pad: each output element reads input element map_d(y_d) per dim (-1: the constant fill).
void pad_grad(GradContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const auto r = static_cast<size_t>(x.rank());
  const std::string mode = ctx.attrs->get_string("mode", "constant");
  std::vector<int64_t> pads;
  if (ctx.opset < 11) {
    pads = ctx.attrs->get_ints(ctx.opset < 2 ? "paddings" : "pads");
  } else {
    const auto given = ints_of(ctx.input(1));
    if (ctx.has_input(3)) {
      const auto axes = ints_of(ctx.input(3));
      if (given.size() != 2 * axes.size()) fail(ctx.where() + ": pads does not match axes");
      pads.assign(2 * r, 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        const auto a = static_cast<size_t>(grad_axis(ctx, axes[i], static_cast<int>(r)));
        pads[a] = given[i];
        pads[a + r] = given[i + axes.size()];
      }
    } else {
      pads = given;
    }
  }
  if (pads.size() != 2 * r) fail(ctx.where() + ": pads has " + std::to_string(pads.size()) + " entries");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    fail_unsupported(ctx.where() + ": backward of Pad mode '" + mode + "' is not supported");
  }
  const auto xs = strides_of(x.shape());
  std::vector<std::vector<int64_t>> map(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t dim = x.shape()[d];
    map[d].resize(static_cast<size_t>(dy.shape()[d]));
    for (int64_t o = 0; o < dy.shape()[d]; ++o) {
      int64_t i = o - pads[d];
      if (i < 0 || i >= dim) {
        if (mode == "constant") {
          i = -1;
        } else if (mode == "wrap") {
          i = ((i % dim) + dim) % dim;
        } else if (mode == "edge" || dim == 1) {
          i = i < 0 ? 0 : dim - 1;
        } else {  // reflect: mirror without repeating the edge
          const int64_t period = 2 * (dim - 1);
          i = ((i % period) + period) % period;
          if (i >= dim) i = period - i;
        }
      }
      map[d][static_cast<size_t>(o)] = i < 0 ? -1 : i * xs[d];
    }
  }
  const bool want_x = ctx.wants_grad(0), want_v = ctx.wants_grad(2);
  float* dxp = want_x ? ctx.grad(0).data<float>() : nullptr;
  double fill_grad = 0;
  const float* g = dy.data<float>();
  std::vector<size_t> idx(r, 0);
  for (int64_t i = 0; i < dy.numel(); ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r && off >= 0; ++d) {
      const int64_t m = map[d][idx[d]];
      off = m < 0 ? -1 : off + m;
    }
    if (off < 0) {
      fill_grad += g[i];
    } else if (want_x) {
      dxp[off] += g[i];
    }
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < static_cast<size_t>(dy.shape()[d])) break;
      idx[d] = 0;
    }
  }
  if (want_v) ctx.grad(2).data<float>()[0] = static_cast<float>(fill_grad);
}

// Where: Y = cond ? X : Y' (broadcast); dX = dY where cond, dY' = dY elsewhere, each summed
// down to its input's shape.
void where_grad(GradContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor dy = as_float(*ctx.output_grad(0));
  const auto cs = broadcast_strides(cond.shape(), dy.shape());
  const auto* c = cond.data<bool>();
  for (int k = 1; k <= 2; ++k) {
    if (!ctx.wants_grad(k)) continue;
    Tensor full(DType::kFloat, dy.shape());
    float* f = full.data<float>();
    const float* g = dy.data<float>();
    const bool take = k == 1;
    for_each_broadcast(dy.shape(), cs, [&](int64_t i, int64_t off) { f[i] = (c[off] != 0) == take ? g[i] : 0.f; });
    ctx.set_grad(k, reduce_to_shape(full, ctx.input(k).shape()));
  }
}

}  // namespace

void register_index_grads(GradRegistry& r) {
  r.add({"", "Slice", slice_grad, {0}, false});
  r.add({"", "Gather", gather_grad, {0}, false});
  r.add({"", "Pad", pad_grad, {0, 2}, false});
  r.add({"", "Where", where_grad, {1, 2}, false});
}

}  // namespace edge::train
