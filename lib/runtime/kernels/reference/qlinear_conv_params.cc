// QLinearConv's output parameters (see qlinear_conv_params.h).
#include "runtime/kernels/reference/qlinear_conv_params.h"

#include "runtime/graph_fusion.h"

namespace edge::rt {

QConvOutputParams::QConvOutputParams(const KernelInit& init)
    : act_(QActivation::parse(init)), fused_(init.node.domain() == kFusedDomain) {
  bias_const_ = true;
  for (int i : {1, 4, 8, 9, 10}) {
    const bool given = init.has_input(i);
    bias_const_ = bias_const_ && (!given || init.constant(i));
  }
}

QConvOutput QConvOutputParams::resolve(const KernelContext& ctx, int64_t M) {
  QConvOutput o;
  const Tensor& x = ctx.input(0);
  const Tensor* y_zp = ctx.has_input(7) ? &ctx.input(7) : nullptr;
  const Tensor* bias = ctx.has_input(8) ? &ctx.input(8) : nullptr;
  const Tensor* bias_scale = fused_ && ctx.has_input(9) ? &ctx.input(9) : nullptr;
  o.x_scale = q_scalar_scale(ctx.where(), ctx.input(1), "x");
  o.x_zero_point = q_scalar_zero_point(ctx.where(), ctx.has_input(2) ? &ctx.input(2) : nullptr, x.dtype(), "x");
  q_channel_scales(ctx.where(), ctx.input(4), M, "w", ws_);
  o.y_scale = q_scalar_scale(ctx.where(), ctx.input(6), "y");
  o.y_type = y_zp ? y_zp->dtype() : DType::kUint8;
  if (!q_is_8bit(o.y_type)) {
    fail_unsupported(ctx.where() + ": y_zero_point must be uint8 or int8, got " + y_zp->describe());
  }
  o.y_zero_point = q_scalar_zero_point(ctx.where(), y_zp, o.y_type, "y");
  if (bias && fused_ && (bias_scale || bias->dtype() == DType::kFloat)) {
    if (!bias_ready_) {
      q_bias_to_acc(ctx.where(), *bias, bias_scale, ctx.has_input(10) ? &ctx.input(10) : nullptr, o.x_scale, ws_, M,
                    acc_bias_);
      bias_ready_ = bias_const_;
    }
    o.bias = acc_bias_.data();
  } else if (bias) {
    if (bias->dtype() != DType::kInt32 || bias->rank() != 1 || bias->dim(0) != M) {
      fail(ctx.where() + ": B must be int32 of shape [" + std::to_string(M) + "], got " + bias->describe());
    }
    o.bias = bias->data<int32_t>();
  }
  mult_.resize(static_cast<size_t>(M));
  for (int64_t m = 0; m < M; ++m) {
    mult_[static_cast<size_t>(m)] = static_cast<float>(static_cast<double>(o.x_scale) * ws_[static_cast<size_t>(m)] /
                                                       static_cast<double>(o.y_scale));
  }
  o.multiplier = mult_.data();
  act_.range(o.y_scale, o.y_zero_point, o.y_type, &o.lo, &o.hi);
  return o;
}

}  // namespace edge::rt
