// QuantizeLinear (opsets 10-22): y = saturate(round_half_even(x / y_scale) + y_zero_point),
// per tensor or per axis (opset 13: 1-D y_scale along `axis`, default 1, negative counts
// from the back). x is float32/float16 (divided in float32, as the spec's reference does),
// float64 or int32 (divided in double). The output type is the zero point's; without one it
// is uint8, or (opset 21) the `output_dtype` attribute's. uint8/int8 always, uint16/int16 from
// opset 21. Refused with a clear error: float8 and 4-bit outputs (opset 19/21; `saturate`
// only concerns float8, so it is ignored otherwise) and blocked quantization (block_size,
// opset 21).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_util.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {
namespace {

// The output type named by opset 21's output_dtype (an onnx::TensorProto::DataType).
DType output_dtype_attr(const KernelInit& init) {
  const int64_t t = init.attrs.get_int("output_dtype", 0);
  if (t == 0) return DType::kUndefined;
  if (init.opset < 21) fail(init.where() + ": attribute output_dtype needs opset 21");
  const DType d = dtype_from_onnx(static_cast<int32_t>(t));
  if (d == DType::kUint8 || d == DType::kInt8 || d == DType::kUint16 || d == DType::kInt16) return d;
  fail_unsupported(init.where() + ": output type " + std::to_string(t) +
                   " is not supported (edge-run quantizes to uint8/int8/uint16/int16; float8 and 4-bit types are not "
                   "supported)");
}

template <typename Q, typename X>
void quantize(const X* x, int64_t n, const CtlQuantLayout& l, const std::vector<float>& scale,
              const std::vector<int32_t>& zp, Q* y) {
  const int32_t lo = q_min(DTypeOf<Q>::value), hi = q_max(DTypeOf<Q>::value);
  for (int64_t i = 0; i < n; ++i) {
    const size_t p = l.param(i);
    double v;
    if constexpr (std::is_same_v<X, float>) {
      v = static_cast<double>(x[i] / scale[p]);  // divided in float32, as the spec's reference
    } else {
      v = static_cast<double>(x[i]) / static_cast<double>(scale[p]);
    }
    y[i] = static_cast<Q>(q_round_clamp(v, zp[p], lo, hi));
  }
}

class QuantizeLinearKernel : public OpKernel {
 public:
  explicit QuantizeLinearKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", 1)), output_dtype_(output_dtype_attr(init)) {
    if (init.opset >= 21 && init.attrs.get_int("block_size", 0) != 0) {
      fail_unsupported(init.where() + ": blocked quantization (block_size) is not supported");
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (!ctl_is_float(x.dtype()) && x.dtype() != DType::kInt32) {
      fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
    }
    const DType out_t = zp ? zp->dtype() : (output_dtype_ != DType::kUndefined ? output_dtype_ : DType::kUint8);
    if (zp && output_dtype_ != DType::kUndefined && zp->dtype() != output_dtype_) {
      fail(ctx.where() + ": zero point " + zp->describe() + " differs from output_dtype " + dtype_name(output_dtype_));
    }
    const bool wide = out_t == DType::kUint16 || out_t == DType::kInt16;
    if (!q_is_8bit(out_t) && !(wide && ctx.opset >= 21)) {
      fail_unsupported(ctx.where() + ": output type " + dtype_name(out_t) + " is not supported: uint8 or int8" +
                       (ctx.opset >= 21 ? " (or uint16/int16)" : ""));
    }
    const CtlQuantLayout l = ctl_quant_layout(ctx.where(), x, scale, zp, axis_, ctx.opset);
    read_params(scale, zp);
    Tensor& y = ctx.alloc_output(0, out_t, x.shape());
    auto by_input = [&](auto* out) {
      switch (x.dtype()) {
        case DType::kFloat:
          quantize(x.data<float>(), x.numel(), l, scale_, zp_, out);
          break;
        case DType::kDouble:
          quantize(x.data<double>(), x.numel(), l, scale_, zp_, out);
          break;
        case DType::kInt32:
          quantize(x.data<int32_t>(), x.numel(), l, scale_, zp_, out);
          break;
        default: {  // float16: converted to float32 a block at a time
          const auto* h = static_cast<const uint16_t*>(x.raw());
          float buf[256];
          for (int64_t i0 = 0; i0 < x.numel(); i0 += 256) {
            const int64_t n = std::min<int64_t>(256, x.numel() - i0);
            for (int64_t i = 0; i < n; ++i) buf[i] = half_to_float(h[i0 + i]);
            quantize_block(buf, i0, n, l, out);
          }
        }
      }
    };
    switch (out_t) {
      case DType::kUint8:
        by_input(y.data<uint8_t>());
        break;
      case DType::kInt8:
        by_input(y.data<int8_t>());
        break;
      case DType::kUint16:
        by_input(y.data<uint16_t>());
        break;
      default:
        by_input(y.data<int16_t>());
        break;
    }
  }

 private:
  // Elements [i0, i0 + n) of a float16 input, given as float32 in buf.
  template <typename Q>
  void quantize_block(const float* buf, int64_t i0, int64_t n, const CtlQuantLayout& l, Q* y) const {
    const int32_t lo = q_min(DTypeOf<Q>::value), hi = q_max(DTypeOf<Q>::value);
    for (int64_t i = 0; i < n; ++i) {
      const size_t p = l.param(i0 + i);
      y[i0 + i] = static_cast<Q>(q_round_clamp(static_cast<double>(buf[i] / scale_[p]), zp_[p], lo, hi));
    }
  }

  void read_params(const Tensor& scale, const Tensor* zp) {
    const int64_t n = scale.numel();
    scale_.resize(static_cast<size_t>(n));
    zp_.assign(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
      scale_[static_cast<size_t>(i)] = static_cast<float>(scale.get_double(i));
      if (zp) zp_[static_cast<size_t>(i)] = static_cast<int32_t>(zp->get_int64(i));
    }
  }

  int64_t axis_;
  DType output_dtype_;
  std::vector<float> scale_;  // run state, reused
  std::vector<int32_t> zp_;
};

}  // namespace

void register_QuantizeLinear(KernelRegistry& r) {
  // Opset 23 changed the op again (precision attribute, float4): not implemented.
  r.add({"",
         "QuantizeLinear",
         10,
         22,
         {DType::kFloat, DType::kFloat16, DType::kDouble, DType::kInt32},
         factory_of<QuantizeLinearKernel>()});
}

}  // namespace edge::rt
