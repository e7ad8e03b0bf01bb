// The shared loops of the element-wise unary backward kernels, with f inlined (a lambda, no
// per-element indirect call): dX[i] = f(X[i], dY[i]) for ops whose derivative is a function
// of the input, dX[i] = f(Y[i], dY[i]) for those that read the forward output (registered
// with needs_outputs).
#pragma once

#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {

namespace detail {
template <typename F>
void unary_grad_over(GradContext& ctx, const Tensor& v, F f) {
  const Tensor dy = as_float(*ctx.output_grad(0));
  Tensor& dx = ctx.grad(0);
  const float* pv = v.data<float>();
  const float* g = dy.data<float>();
  float* d = dx.data<float>();
  for (int64_t i = 0; i < dx.numel(); ++i) d[i] = f(pv[i], g[i]);
}
}  // namespace detail

template <typename F>
void unary_grad_from_input(GradContext& ctx, F f) {
  detail::unary_grad_over(ctx, as_float(ctx.input(0)), f);
}

template <typename F>
void unary_grad_from_output(GradContext& ctx, F f) {
  detail::unary_grad_over(ctx, as_float(ctx.output(0)), f);
}

}  // namespace edge::train
