// cpu backend: QLinearConv (ai.onnx, and the QDQ fusion's form in the private
// domain) on AVX-512 VNNI, bit-identical to the reference kernel.
//
// For 2-D convolutions with one group and constant weights whose zero point is
// 0 (int8) or 128 (uint8, taken as int8 w - 128): per image, the input is
// copied once into a padded position-major (NHWC) buffer with the channels
// padded to a multiple of 4, the padding holding the input zero point (a real
// 0, as the reference reads it); every output position then reads its window's
// taps straight from that buffer (linalg/qtap_gemm.h: no im2col), and the int32
// sums are requantized in registers. The zero points fold into the bias:
//   sum (x - zx) * w = sum x * w - zx * row_sum(w).
// int8 inputs are read as uint8 x + 128 with zero point zx + 128 (the
// differences are the same). 1x1 kernels with unit strides and no padding take
// linalg/qpointwise_vnni.h instead: positions on the lanes, the input only
// interleaved by channel quads, each output channel's row written directly.
// Other convolutions (grouped, other ranks, run-time
// weights, asymmetric weights) and CPUs without VNNI use the reference kernel.
#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"
#include "runtime/kernels/reference/qlinear_conv_params.h"
#include "runtime/linalg/nhwc_copy.h"
#include "runtime/linalg/qpointwise_vnni.h"
#include "runtime/linalg/qtap_gemm.h"

namespace edge::rt {
namespace {

// The zero point that makes the weights symmetric int8: 0 for int8, 128 for
// uint8.
int32_t symmetric_zero_point(DType t) { return t == DType::kUint8 ? 128 : 0; }

bool qconv_accepts(const KernelInit& init) {
  if (!linalg::qtap_gemm_supported()) return false;
  const Tensor* w = init.constant(3);
  if (!w || !q_is_8bit(w->dtype()) || w->rank() != 4) return false;
  if (init.attrs.get_int("group", 1) != 1) return false;
  const DType x = init.input_type(0).dtype;
  if (x != DType::kUndefined && !q_is_8bit(x)) return false;
  const bool zp_given = init.node.input_size() > 5 && !init.node.input(5).empty();
  if (!zp_given) return w->dtype() == DType::kInt8;
  const Tensor* zp = init.constant(5);
  if (!zp || zp->dtype() != w->dtype()) return false;
  for (int64_t i = 0; i < zp->numel(); ++i) {
    if (static_cast<int32_t>(zp->get_double(i)) != symmetric_zero_point(w->dtype())) return false;
  }
  return true;
}

class CpuQLinearConvKernel : public OpKernel {
 public:
  explicit CpuQLinearConvKernel(const KernelInit& init) : attrs_(NnSpatialAttrs::parse(init)), params_(init) {
    const Tensor& w = *init.constant(3);
    M_ = w.dim(0);
    C_ = w.dim(1);
    kernel_ = {w.dim(2), w.dim(3)};
    if (!attrs_.kernel.empty() && attrs_.kernel != kernel_) {
      fail(init.where() + ": kernel_shape does not match W " + w.describe());
    }
    const int64_t T = kernel_[0] * kernel_[1];
    const bool u8 = w.dtype() == DType::kUint8;
    const auto* raw = static_cast<const uint8_t*>(w.raw());
    auto weight = [&](int64_t i) { return static_cast<int8_t>(u8 ? raw[i] ^ 0x80u : raw[i]); };
    // One input channel, unit stride and dilation along the width: a window row is KW adjacent
    // bytes of the (plain, padded) image, so the kernel rows are the taps and the columns the
    // channels, instead of KH * KW taps of one channel padded to four.
    const bool unit_w = (attrs_.strides.size() < 2 || attrs_.strides[1] == 1) &&
                        (attrs_.dilations.size() < 2 || attrs_.dilations[1] == 1);
    rows_ = C_ == 1 && unit_w && kernel_[1] > 1;
    // 1x1 with unit strides and no padding: the input as it lies, positions on the lanes.
    const auto one = [](int64_t v) { return v == 1; };
    const auto zero = [](int64_t v) { return v == 0; };
    pointwise_ = T == 1 && std::all_of(attrs_.strides.begin(), attrs_.strides.end(), one) &&
                 (attrs_.auto_pad != "NOTSET" || std::all_of(attrs_.pads.begin(), attrs_.pads.end(), zero)) &&
                 linalg::qpw::supported();
    if (pointwise_) {
      pw_ = linalg::qpw::Packed(M_, C_, [&](int64_t m, int64_t c) { return weight(m * C_ + c); });
    } else if (rows_) {
      weights_ = linalg::PackedTapWeights(M_, kernel_[0], kernel_[1], [&](int64_t m, int64_t kh, int64_t kw) {
        return weight((m * kernel_[0] + kh) * kernel_[1] + kw);
      });
    } else {
      weights_ = linalg::PackedTapWeights(
          M_, T, C_, [&](int64_t m, int64_t t, int64_t c) { return weight((m * C_ + c) * T + t); });
    }
    const size_t padded = pointwise_ ? static_cast<size_t>(M_)
                                     : static_cast<size_t>(weights_.blocks() * linalg::PackedTapWeights::kBlock);
    bias_.assign(padded, 0);
    mult_.assign(padded, 0.f);
  }

  std::string algorithm() const override {
    return std::string(pointwise_ ? "vnni-pointwise"
                       : rows_    ? "vnni-tap-gemm-rows"
                                  : "vnni-tap-gemm") +
           params_.activation().suffix();
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    q_require_8bit(ctx.where(), x, "X");
    if (x.rank() != 4 || x.dim(1) != C_) {
      fail(ctx.where() + ": X " + x.describe() + " does not match W's " + std::to_string(C_) + " input channels");
    }
    if (!has_geom_ || x.dim(2) != geom_.in[0] || x.dim(3) != geom_.in[1]) resolve(ctx, x);
    const QConvOutput o = params_.resolve(ctx, M_);
    const int64_t N = x.dim(0), on = geom_.out_numel();
    Tensor& y = ctx.alloc_output(0, o.y_type, {N, M_, geom_.out[0], geom_.out[1]});
    if (y.numel() == 0) return;
    const bool s8 = x.dtype() == DType::kInt8;
    const int32_t zx = o.x_zero_point + (s8 ? 128 : 0);
    for (int64_t m = 0; m < M_; ++m) {
      const uint32_t b = o.bias ? static_cast<uint32_t>(o.bias[m]) : 0u;
      bias_[static_cast<size_t>(m)] =
          static_cast<int32_t>(b - static_cast<uint32_t>(zx) * static_cast<uint32_t>(row_sum(m)));
      mult_[static_cast<size_t>(m)] = o.multiplier[m];
    }
    if (pointwise_) {
      run_pointwise(ctx, x, o, y);
      return;
    }
    auto* xpad = static_cast<uint8_t*>(ctx.scratch(static_cast<size_t>(Hp_ * Wp_ * Cp_ + 64)));
    linalg::QTapOutput out;
    out.bias = bias_.data();
    out.multiplier = mult_.data();
    out.zero_point = o.y_zero_point;
    out.lo = o.lo;
    out.hi = o.hi;
    out.m_stride = on;
    out.p_stride = 1;
    const int64_t H = geom_.in[0], W = geom_.in[1];
    for (int64_t n = 0; n < N; ++n) {
      // The padded NHWC copy of image n; the padding (and the channel padding)
      // reads zx.
      std::memset(xpad, zx, static_cast<size_t>(Hp_ * Wp_ * Cp_ + 64));  // the tail: read only against zero weights
      const auto* src = static_cast<const uint8_t*>(x.raw()) + n * C_ * H * W;
      linalg::nchw_to_nhwc_u8(src, C_, H, W, s8 ? 0x80 : 0,
                              xpad + (geom_.pad_begin[0] * Wp_ + geom_.pad_begin[1]) * Cp_, Wp_, Cp_);
      out.y = static_cast<uint8_t*>(y.raw()) + n * M_ * on;
      linalg::qtap_gemm(weights_, xpad, pos_.data(), on, taps_.data(), out, ctx.pool);
    }
  }

 private:
  void resolve(const KernelContext& ctx, const Tensor& x) {
    geom_ = nn_resolve_spatial(ctx.where(), attrs_, Shape{x.dim(2), x.dim(3)}, kernel_);
    has_geom_ = true;
    Cp_ = rows_ ? 1 : weights_.channel_quads() * 4;  // bytes per pixel of xpad
    Hp_ = geom_.pad_begin[0] + geom_.in[0] + geom_.pad_end[0];
    Wp_ = geom_.pad_begin[1] + geom_.in[1] + geom_.pad_end[1];
    const int64_t OH = geom_.out[0], OW = geom_.out[1], KH = kernel_[0], KW = kernel_[1];
    pos_.resize(static_cast<size_t>(OH * OW));
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        pos_[static_cast<size_t>(oh * OW + ow)] = (oh * geom_.stride[0] * Wp_ + ow * geom_.stride[1]) * Cp_;
      }
    }
    if (rows_) {
      taps_.resize(static_cast<size_t>(KH));
      for (int64_t kh = 0; kh < KH; ++kh) taps_[static_cast<size_t>(kh)] = kh * geom_.dil[0] * Wp_;
      return;
    }
    taps_.resize(static_cast<size_t>(KH * KW));
    for (int64_t kh = 0; kh < KH; ++kh) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        taps_[static_cast<size_t>(kh * KW + kw)] = (kh * geom_.dil[0] * Wp_ + kw * geom_.dil[1]) * Cp_;
      }
    }
  }

  int32_t row_sum(int64_t m) const { return pointwise_ ? pw_.row_sum(m) : weights_.row_sum(m); }

  // Per image: X interleaved by channel quads, then the pointwise tiles write Y's rows.
  void run_pointwise(KernelContext& ctx, const Tensor& x, const QConvOutput& o, Tensor& y) const {
    if (geom_.out_numel() != geom_.in_numel()) fail_internal(ctx.where() + ": the pointwise path on a resized output");
    const int64_t N = x.dim(0), P = geom_.in_numel();
    auto* xq = static_cast<uint8_t*>(ctx.scratch(static_cast<size_t>(pw_.channel_quads() * P * 4)));
    const linalg::qpw::Output out{bias_.data(), mult_.data(), o.y_zero_point, o.lo, o.hi, nullptr};
    for (int64_t n = 0; n < N; ++n) {
      linalg::qpw::interleave(static_cast<const uint8_t*>(x.raw()) + n * C_ * P, C_, P,
                              x.dtype() == DType::kInt8 ? 0x80 : 0, xq);
      linalg::qpw::Output on = out;
      on.y = static_cast<uint8_t*>(y.raw()) + n * M_ * P;
      linalg::qpw::run(pw_, xq, P, on, ctx.pool);
    }
  }

  NnSpatialAttrs attrs_;
  QConvOutputParams params_;
  int64_t M_ = 0, C_ = 0;
  Shape kernel_;
  linalg::PackedTapWeights weights_;
  linalg::qpw::Packed pw_;     // the pointwise path's weights (pointwise_), else weights_
  std::vector<int32_t> bias_;  // per run: the bias with the zero-point term folded in
  std::vector<float> mult_;
  NnSpatial geom_;
  bool has_geom_ = false, rows_ = false, pointwise_ = false;
  int64_t Hp_ = 0, Wp_ = 0, Cp_ = 0;
  std::vector<int64_t> pos_,
      taps_;  // byte offsets of output positions and kernel taps in xpad
};

}  // namespace

void register_cpu_QLinearConv(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.add({domain,
           "QLinearConv",
           domain[0] ? 1 : 10,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           factory_of<CpuQLinearConvKernel>(),
           "cpu",
           10,
           kCpuAvx512f | kCpuAvx512Vnni,
           qconv_accepts});
  }
}

}  // namespace edge::rt
