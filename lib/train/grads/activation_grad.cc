// Backward of the element-wise activations.
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// Relu: dX = dY where X > 0.
void relu_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  Tensor& dx = ctx.grad(0);
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  float* dxp = dx.data<float>();
  for (int64_t i = 0; i < dx.numel(); ++i) dxp[i] = xp[i] > 0.f ? dyp[i] : 0.f;
}

}  // namespace

void register_activation_grads(GradRegistry& r) {
  r.add({"", "Relu", relu_grad, {}, false});
}

}  // namespace edge::train
