// Backward of Cast / CastLike and the variadic element-wise ops Sum, Mean, Max and Min
// (numpy broadcasting; each input's gradient is summed down to its shape).
//   Cast: to a float type the gradient passes unchanged (as float32); to an integer or bool
//     type nothing flows back (zeros).
//   Sum: dX_i = dY;  Mean: dX_i = dY / n;
//   Max / Min: dY goes to the first input (in input order) whose value equals the result at
//     that element; ties give the others nothing.
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

bool is_float_type(DType t) { return t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16; }

void cast_grad(GradContext& ctx) {
  if (!is_float_type(ctx.output(0).dtype())) {
    ctx.grad(0);  // an integer result carries no gradient
    return;
  }
  ctx.set_grad(0, as_float(*ctx.output_grad(0)));
}

template <bool kMean>
void sum_grad(GradContext& ctx) {
  const Tensor dy = as_float(*ctx.output_grad(0));
  int n = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) n += ctx.has_input(i) ? 1 : 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.wants_grad(i)) continue;
    Tensor g = reduce_to_shape(dy, ctx.input(i).shape()).clone();
    if (kMean) {
      float* p = g.data<float>();
      const float inv = 1.f / static_cast<float>(n);
      for (int64_t k = 0; k < g.numel(); ++k) p[k] *= inv;
    }
    ctx.set_grad(i, std::move(g));
  }
}

void extreme_grad(GradContext& ctx) {
  const Tensor dy = as_float(*ctx.output_grad(0));
  const Tensor y = as_float(ctx.output(0));
  const Shape& out = y.shape();
  const int n = ctx.num_inputs();
  std::vector<Tensor> full(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) full[static_cast<size_t>(i)] = broadcast_to(as_float(ctx.input(i)), out);
  std::vector<Tensor> grads(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (ctx.wants_grad(i)) grads[static_cast<size_t>(i)] = Tensor(DType::kFloat, out);
  }
  const float* yp = y.data<float>();
  const float* g = dy.data<float>();
  for (int64_t e = 0; e < y.numel(); ++e) {
    for (int i = 0; i < n; ++i) {
      if (full[static_cast<size_t>(i)].data<float>()[e] != yp[e]) continue;
      if (grads[static_cast<size_t>(i)].defined()) grads[static_cast<size_t>(i)].data<float>()[e] = g[e];
      break;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (ctx.wants_grad(i)) ctx.set_grad(i, reduce_to_shape(grads[static_cast<size_t>(i)], ctx.input(i).shape()));
  }
}

}  // namespace

void register_variadic_grads(GradRegistry& r) {
  r.add({"", "Cast", cast_grad, {0}, true});
  r.add({"", "CastLike", cast_grad, {0}, true});
  r.add({"", "Sum", sum_grad<false>, {}, false});
  r.add({"", "Mean", sum_grad<true>, {}, false});
  r.add({"", "Max", extreme_grad, {}, true});
  r.add({"", "Min", extreme_grad, {}, true});
}

}  // namespace edge::train
