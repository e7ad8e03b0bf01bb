// Backward of the Reduce* family. The reduced axes come from the `axes` attribute, or from
// input 1 for ReduceSum at opset >= 13 and every reduction at opset >= 18 (not
// differentiable); empty axes reduce everything unless noop_with_empty_axes = 1 (then the op
// is the identity). With keepdims = 0, dY is read with the reduced dims re-inserted as 1s,
// then broadcast back over X:
//   ReduceSum dX = dY;  ReduceMean dX = dY / count;  ReduceSumSquare dX = 2 X dY;
//   ReduceL1 dX = sign(X) dY;  ReduceL2 dX = dY X / Y (0 where Y = 0);
//   ReduceLogSumExp dX = dY exp(X - Y);
//   ReduceMax / ReduceMin: dY goes to the first element (in row-major order) equal to the
//   result, as an arg-max would pick it; ties get nothing else.
#include <cmath>
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

enum class Reduce { kSum, kMean, kMax, kMin, kL1, kL2, kSumSquare, kLogSumExp };

// X's shape with the reduced dims set to 1; identity for noop_with_empty_axes without axes.
struct ReducedShape {
  bool identity = false;
  Shape kept;
  int64_t count = 1;  // elements per reduced value
};

ReducedShape reduced_shape(const GradContext& ctx, const Tensor& x, Reduce op) {
  const bool axes_input = ctx.opset >= 18 || (op == Reduce::kSum && ctx.opset >= 13);
  std::vector<int64_t> axes;
  if (axes_input) {
    if (ctx.has_input(1)) axes = ints_of(ctx.input(1));
  } else {
    axes = ctx.attrs->get_ints("axes");
  }
  ReducedShape r;
  if (axes.empty() && axes_input && ctx.attrs->get_int("noop_with_empty_axes", 0) != 0) {
    r.identity = true;
    r.kept = x.shape();
    return r;
  }
  r.kept = x.shape();
  if (axes.empty()) {
    for (int d = 0; d < x.rank(); ++d) axes.push_back(d);
  }
  std::vector<bool> seen(static_cast<size_t>(x.rank()), false);
  for (int64_t a : axes) {
    const auto d = static_cast<size_t>(grad_axis(ctx, a, x.rank()));
    if (seen[d]) fail(ctx.where() + ": axis " + std::to_string(a) + " is repeated");
    seen[d] = true;
    r.kept[d] = 1;
  }
  int64_t kept_n = 1;
  for (int64_t d : r.kept) kept_n *= d;
  r.count = kept_n == 0 ? 0 : x.numel() / kept_n;
  return r;
}

template <Reduce kOp>
void reduce_grad(GradContext& ctx) {
  const Tensor& xin = ctx.input(0);
  const ReducedShape rs = reduced_shape(ctx, xin, kOp);
  const Tensor dy = as_float(*ctx.output_grad(0)).reshaped(rs.kept);
  if (rs.identity) {
    ctx.set_grad(0, dy);
    return;
  }
  constexpr bool kNeedsX = kOp != Reduce::kSum && kOp != Reduce::kMean;
  constexpr bool kNeedsY = kOp == Reduce::kMax || kOp == Reduce::kMin || kOp == Reduce::kL2 || kOp == Reduce::kLogSumExp;
  const Tensor x = kNeedsX ? as_float(xin) : Tensor();
  const Tensor y = kNeedsY ? as_float(ctx.output(0)).reshaped(rs.kept) : Tensor();
  const auto st = broadcast_strides(rs.kept, xin.shape());
  Tensor& dx = ctx.grad(0);
  float* d = dx.data<float>();
  const float* g = dy.data<float>();
  const float* xp = kNeedsX ? x.data<float>() : nullptr;
  const float* yp = kNeedsY ? y.data<float>() : nullptr;
  if constexpr (kOp == Reduce::kMax || kOp == Reduce::kMin) {
    std::vector<char> taken(static_cast<size_t>(dy.numel()), 0);
    for_each_broadcast(xin.shape(), st, [&](int64_t i, int64_t o) {
      if (!taken[static_cast<size_t>(o)] && xp[i] == yp[o]) {
        taken[static_cast<size_t>(o)] = 1;
        d[i] = g[o];
      }
    });
  } else {
    const float inv = 1.f / static_cast<float>(rs.count);
    for_each_broadcast(xin.shape(), st, [&](int64_t i, int64_t o) {
      if constexpr (kOp == Reduce::kSum) d[i] = g[o];
      if constexpr (kOp == Reduce::kMean) d[i] = g[o] * inv;
      if constexpr (kOp == Reduce::kSumSquare) d[i] = 2.f * xp[i] * g[o];
      if constexpr (kOp == Reduce::kL1) d[i] = xp[i] > 0.f ? g[o] : (xp[i] < 0.f ? -g[o] : 0.f);
      if constexpr (kOp == Reduce::kL2) d[i] = yp[o] != 0.f ? g[o] * xp[i] / yp[o] : 0.f;
      if constexpr (kOp == Reduce::kLogSumExp) d[i] = g[o] * std::exp(xp[i] - yp[o]);
    });
  }
}

}  // namespace

void register_reduce_grads(GradRegistry& r) {
  r.add({"", "ReduceSum", reduce_grad<Reduce::kSum>, {0}, false});
  r.add({"", "ReduceMean", reduce_grad<Reduce::kMean>, {0}, false});
  r.add({"", "ReduceMax", reduce_grad<Reduce::kMax>, {0}, true});
  r.add({"", "ReduceMin", reduce_grad<Reduce::kMin>, {0}, true});
  r.add({"", "ReduceL1", reduce_grad<Reduce::kL1>, {0}, false});
  r.add({"", "ReduceL2", reduce_grad<Reduce::kL2>, {0}, true});
  r.add({"", "ReduceSumSquare", reduce_grad<Reduce::kSumSquare>, {0}, false});
  r.add({"", "ReduceLogSumExp", reduce_grad<Reduce::kLogSumExp>, {0}, true});
}

}  // namespace edge::train
