// Backward of Softmax and LogSoftmax, from the forward output Y:
//   Softmax:    dX = Y * (dY - sum(dY * Y))
//   LogSoftmax: dX = dY - exp(Y) * sum(dY)
// with the sums over the normalized elements. Opset >= 13 normalizes along the single
// `axis` (default -1); opset < 13 coerces the input to 2-D at `axis` (default 1) and
// normalizes over all the trailing dims [axis, rank) together.
#include <cmath>

#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

// Rows of `len` elements `stride` apart: outer * inner of them, row (o, i) starting at
// o * len * stride + i.
struct SoftmaxRows {
  int64_t outer = 1, len = 1, inner = 1;
};

SoftmaxRows rows_of(const GradContext& ctx, const Shape& shape) {
  const int rank = static_cast<int>(shape.size());
  const bool single_axis = ctx.opset >= 13;
  const int64_t axis = grad_axis(ctx, ctx.attrs->get_int("axis", single_axis ? -1 : 1), rank);
  const AxisSplit s = split_at_axis(shape, axis);
  if (single_axis) return {s.outer, s.dim, s.inner};
  return {s.outer, s.dim * s.inner, 1};  // coerced to 2-D: [outer, rest] rows, contiguous
}

template <bool kLog>
void softmax_grad(GradContext& ctx) {
  const Tensor y = as_float(ctx.output(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const SoftmaxRows r = rows_of(ctx, y.shape());
  Tensor& dx = ctx.grad(0);
  const float* yp = y.data<float>();
  const float* gp = dy.data<float>();
  float* dp = dx.data<float>();
  const int64_t st = r.inner;
  for (int64_t o = 0; o < r.outer; ++o) {
    for (int64_t in = 0; in < r.inner; ++in) {
      const int64_t base = o * r.len * st + in;
      double sum = 0;
      for (int64_t k = 0; k < r.len; ++k) {
        const int64_t e = base + k * st;
        sum += kLog ? static_cast<double>(gp[e]) : static_cast<double>(gp[e]) * yp[e];
      }
      const auto s = static_cast<float>(sum);
      for (int64_t k = 0; k < r.len; ++k) {
        const int64_t e = base + k * st;
        dp[e] = kLog ? gp[e] - std::exp(yp[e]) * s : yp[e] * (gp[e] - s);
      }
    }
  }
}

}  // namespace

void register_softmax_grads(GradRegistry& r) {
  r.add({"", "Softmax", softmax_grad<false>, {}, true});
  r.add({"", "LogSoftmax", softmax_grad<true>, {}, true});
}

}  // namespace edge::train
