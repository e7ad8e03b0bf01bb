// Backward of the broadcasting binary arithmetic ops.
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// Add: dA = reduce(dY), dB = reduce(dY).
void add_grad(GradContext& ctx) {
  const Tensor& dy = *ctx.output_grad(0);
  for (int i = 0; i < 2; ++i) {
    if (ctx.wants_grad(i)) ctx.set_grad(i, reduce_to_shape(dy, ctx.input(i).shape()).clone());
  }
}

}  // namespace

void register_elementwise_grads(GradRegistry& r) {
  r.add({"", "Add", add_grad, {}, false});
}

}  // namespace edge::train
