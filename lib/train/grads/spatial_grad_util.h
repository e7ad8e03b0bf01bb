// Window geometry for the backward kernels of Conv and the pools: the same attribute
// parsing and pad/output-size resolution as the runtime's forward kernels
// (runtime/kernels/reference/nn_util.h), so forward and backward agree on every window.
#pragma once

#include "runtime/kernel.h"
#include "runtime/kernels/reference/nn_util.h"
#include "train/grad_kernel.h"

namespace edge::train {

// Resolves kernel_shape/strides/dilations/pads/auto_pad/ceil_mode of ctx's node for
// spatial input size `in`; `kernel` overrides kernel_shape when non-empty (Conv: W's dims).
inline rt::NnSpatial resolve_window(const GradContext& ctx, const Shape& in, const Shape& kernel) {
  const rt::KernelInit init{*ctx.node, ctx.opset, *ctx.attrs, {}, {}, {}, {}};
  return rt::nn_resolve_spatial(ctx.where(), rt::NnSpatialAttrs::parse(init), in, kernel);
}

}  // namespace edge::train
