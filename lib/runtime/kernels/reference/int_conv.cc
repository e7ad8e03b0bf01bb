// The integer convolution core (see int_conv.h).
#include "runtime/kernels/reference/int_conv.h"

#include <algorithm>

#include "runtime/kernels/reference/qlinear_util.h"
#include "runtime/linalg/igemm.h"
#include "runtime/linalg/im2col.h"

namespace edge::rt {

IntConvCore::IntConvCore(const KernelInit& init, int w_input, int w_zp_input)
    : attrs_(NnSpatialAttrs::parse(init)), group_(init.attrs.get_int("group", 1)) {
  if (group_ <= 0) fail(init.where() + ": group must be positive");
  const Tensor* w = init.constant(w_input);
  const bool zp_given = w_input >= 0 && init.has_input(w_zp_input);
  const Tensor* w_zp = zp_given ? init.constant(w_zp_input) : nullptr;
  if (w && (!zp_given || w_zp)) {
    widen_weights(init.where(), *w, w_zp);
    weights_const_ = true;
  }
}

void IntConvCore::widen_weights(const std::string& where, const Tensor& w, const Tensor* w_zp) {
  q_require_8bit(where, w, "W");
  if (w.rank() < 3) fail(where + ": W must have rank >= 3, got " + w.describe());
  M_ = w.dim(0);
  Cg_ = w.dim(1);
  if (M_ <= 0 || M_ % group_ != 0) {
    fail(where + ": W's " + std::to_string(M_) +
         " output channels are not a positive multiple of group=" + std::to_string(group_));
  }
  kernel_ = Shape(w.shape().begin() + 2, w.shape().end());
  if (!attrs_.kernel.empty() && attrs_.kernel != kernel_)
    fail(where + ": kernel_shape does not match W " + w.describe());
  Kg_ = M_ == 0 ? 0 : w.numel() / M_;
  q_channel_zero_points(where, w_zp, w.dtype(), M_, "W", zp_);
  w16_.resize(static_cast<size_t>(w.numel()));
  for (int64_t m = 0; m < M_; ++m) {
    int16_t* dst = w16_.data() + m * Kg_;
    if (w.dtype() == DType::kUint8) {
      linalg::widen_sub(w.data<uint8_t>() + m * Kg_, Kg_, zp_[static_cast<size_t>(m)], dst);
    } else {
      linalg::widen_sub(w.data<int8_t>() + m * Kg_, Kg_, zp_[static_cast<size_t>(m)], dst);
    }
  }
}

Shape IntConvCore::begin_run(const KernelContext& ctx, const Tensor& x, const Tensor& w, const Tensor* w_zp) {
  q_require_8bit(ctx.where(), x, "X");
  if (!weights_const_) widen_weights(ctx.where(), w, w_zp);
  if (x.rank() != static_cast<int>(kernel_.size()) + 2) {
    fail(ctx.where() + ": X " + x.describe() + " and W of rank " + std::to_string(kernel_.size() + 2) +
         " differ in rank");
  }
  const int64_t C = x.dim(1);
  if (C != Cg_ * group_) {
    fail(ctx.where() + ": X has " + std::to_string(C) + " channels, W expects " + std::to_string(Cg_) +
         " per group with group=" + std::to_string(group_));
  }
  Shape in(x.shape().begin() + 2, x.shape().end());
  if (!has_geom_ || in != geom_in_) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, in, kernel_);
    geom_in_ = in;
    has_geom_ = true;
    pointwise_ = true;
    for (int d = 0; d < geom_.rank(); ++d) {
      const size_t ud = static_cast<size_t>(d);
      pointwise_ = pointwise_ && geom_.kernel[ud] == 1 && geom_.stride[ud] == 1 && geom_.pad_begin[ud] == 0 &&
                   geom_.pad_end[ud] == 0;
    }
    if (geom_.rank() == 2) {
      const NnSpatial& q = geom_;
      g2_ = {Cg_,      q.in[0],  q.in[1],        q.kernel[0],    q.kernel[1], q.stride[0], q.stride[1],
             q.dil[0], q.dil[1], q.pad_begin[0], q.pad_begin[1], q.out[0],    q.out[1]};
    }
  }
  Shape out{x.dim(0), M_};
  out.insert(out.end(), geom_.out.begin(), geom_.out.end());
  return out;
}

int64_t IntConvCore::work_elems() const {
  const int64_t image = Cg_ * geom_.in_numel(), col = Kg_ * geom_.out_numel();
  if (pointwise_) return image;
  return geom_.rank() == 2 ? col : image + col;
}

void IntConvCore::run_group(const KernelContext& ctx, const Tensor& x, int32_t x_zero_point, int64_t n, int64_t g,
                            int16_t* work, int32_t* acc) const {
  const int64_t in_n = geom_.in_numel(), on = geom_.out_numel(), Mg = M_ / group_;
  const int64_t first = (n * Cg_ * group_ + g * Cg_) * in_n;
  // b: the [Kg, on] operand, x - x_zero_point of this group's channels.
  const int16_t* b = work;
  auto widen = [&](int16_t* dst) {
    if (x.dtype() == DType::kUint8) {
      linalg::widen_sub(x.data<uint8_t>() + first, Cg_ * in_n, x_zero_point, dst);
    } else {
      linalg::widen_sub(x.data<int8_t>() + first, Cg_ * in_n, x_zero_point, dst);
    }
  };
  if (pointwise_) {
    widen(work);
  } else if (geom_.rank() == 2) {
    if (x.dtype() == DType::kUint8) {
      linalg::im2col_2d_s16(x.data<uint8_t>() + first, x_zero_point, g2_, work);
    } else {
      linalg::im2col_2d_s16(x.data<int8_t>() + first, x_zero_point, g2_, work);
    }
  } else {
    widen(work);
    nn_im2col(static_cast<const int16_t*>(work), geom_, 0, Kg_, work + Cg_ * in_n);
    b = work + Cg_ * in_n;
  }
  const int16_t* w = w16_.data() + g * Mg * Kg_;
  if (Mg == 1) {                                   // depthwise: one dot product per output position, rows of b in turn
    auto* sum = reinterpret_cast<uint32_t*>(acc);  // wraps like igemm_s16
    std::fill(sum, sum + on, 0u);
    for (int64_t k = 0; k < Kg_; ++k) {
      const int32_t wk = w[k];
      if (wk == 0) continue;
      const int16_t* row = b + k * on;
      for (int64_t o = 0; o < on; ++o) sum[o] += static_cast<uint32_t>(wk * static_cast<int32_t>(row[o]));
    }
    return;
  }
  linalg::igemm_s16(Mg, on, Kg_, w, Kg_, b, on, acc, on, false, ctx.pool);
}

std::string IntConvCore::algorithm() const {
  if (!has_geom_) return "igemm";
  if (M_ == group_) return "depthwise-dot";
  return pointwise_ ? "pointwise-igemm" : "im2col-igemm";
}

}  // namespace edge::rt
