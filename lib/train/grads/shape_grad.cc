// Backward of the ops that only change a tensor's shape (Reshape incl. allowzero, Flatten,
// Squeeze, Unsqueeze, Identity) and of Dropout. The element order is unchanged, so dX is dY
// viewed with X's shape (no copy). The shape and axes inputs carry no gradient.
//
// Dropout: identity in inference mode (the runtime's forward runs the training mode only
// from opset 12 with training_mode true and ratio > 0). In training mode dX = dY * mask /
// (1 - ratio), with the mask read from the node's mask output when the graph keeps it, else
// recovered from the outputs (an element was dropped where Y = 0 although X != 0; elements
// where X = 0 are taken as dropped, which is exact whenever a Relu before it has cut them).
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

void view_grad(GradContext& ctx) {
  const Tensor dy = as_float(*ctx.output_grad(0));
  const Shape& shape = ctx.input(0).shape();
  if (dy.numel() != shape_numel(shape)) {
    fail_internal(ctx.where() + ": output gradient " + dy.describe() + " does not match input " + ctx.input(0).describe());
  }
  ctx.set_grad(0, dy.reshaped(shape));
}

double scalar_input(const GradContext& ctx, int i) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) fail(ctx.where() + ": input " + std::to_string(i) + " must be a scalar");
  if (t.dtype() == DType::kBool) return t.data<bool>()[0] ? 1.0 : 0.0;
  return t.get_double(0);
}

void dropout_grad(GradContext& ctx) {
  const double ratio = ctx.has_input(1) ? scalar_input(ctx, 1) : 0.5;
  const bool training = ctx.opset >= 12 && ctx.has_input(2) && scalar_input(ctx, 2) != 0.0 && ratio != 0.0;
  if (!training) {
    view_grad(ctx);
    return;
  }
  const Tensor dy = as_float(ctx.output_grad_or_zero(0));
  const Tensor x = as_float(ctx.input(0));
  const float scale = ratio >= 1.0 ? 0.f : static_cast<float>(1.0 / (1.0 - ratio));
  const bool has_mask = ctx.num_outputs() > 1 && ctx.outputs[1] && ctx.outputs[1]->defined();
  const Tensor y = has_mask ? Tensor() : as_float(ctx.output(0));
  // The mask is bool from opset 10, X's type before.
  const Tensor* mask_out = has_mask ? &ctx.output(1) : nullptr;
  const bool bool_mask = mask_out && mask_out->dtype() == DType::kBool;
  const Tensor mask = mask_out && !bool_mask ? as_float(*mask_out) : Tensor();
  float* dx = ctx.grad(0).data<float>();
  const float* g = dy.data<float>();
  const float* px = x.data<float>();
  for (int64_t i = 0; i < dy.numel(); ++i) {
    const bool kept = bool_mask  ? mask_out->data<bool>()[i]
                      : has_mask ? mask.data<float>()[i] != 0.f
                                 : (y.data<float>()[i] != 0.f && px[i] != 0.f);
    dx[i] = kept ? g[i] * scale : 0.f;
  }
}

}  // namespace

void register_shape_grads(GradRegistry& r) {
  r.add({"", "Reshape", view_grad, {0}, false});
  r.add({"", "Flatten", view_grad, {0}, false});
  r.add({"", "Squeeze", view_grad, {0}, false});
  r.add({"", "Unsqueeze", view_grad, {0}, false});
  r.add({"", "Identity", view_grad, {0}, false});
  r.add({"", "Dropout", dropout_grad, {0}, true});
}

}  // namespace edge::train
