// DequantizeLinear (opsets 10-22): y = (x - x_zero_point) * x_scale, per tensor or per axis
// (opset 13: 1-D x_scale along `axis`, default 1). x is uint8/int8/int32 (int32 has a zero
// point of 0 by the spec; one given must be int32 too), uint16/int16 from opset 21. The
// output type is the scale's (float32 and float16 computed in float32, float64 in double).
// Refused with a clear error: float8/4-bit inputs (no such tensors load) and blocked
// quantization (block_size, opset 21).
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {
namespace {

template <typename X, typename Y>
void dequantize(const X* x, int64_t n, const CtlQuantLayout& l, const std::vector<double>& scale,
                const std::vector<int64_t>& zp, Y* y) {
  for (int64_t i = 0; i < n; ++i) {
    const size_t p = l.param(i);
    const int64_t d = static_cast<int64_t>(x[i]) - zp[p];
    if constexpr (std::is_same_v<Y, double>) {
      y[i] = static_cast<double>(d) * scale[p];
    } else {
      y[i] = static_cast<float>(d) * static_cast<float>(scale[p]);
    }
  }
}

class DequantizeLinearKernel : public OpKernel {
 public:
  explicit DequantizeLinearKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 1)) {
    if (init.opset >= 21 && init.attrs.get_int("block_size", 0) != 0) {
      fail_unsupported(init.where() + ": blocked quantization (block_size) is not supported");
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const DType t = x.dtype();
    const bool wide = t == DType::kUint16 || t == DType::kInt16;
    if (t != DType::kUint8 && t != DType::kInt8 && t != DType::kInt32 && !(wide && ctx.opset >= 21)) {
      fail_unsupported(ctx.where() + ": input type " + dtype_name(t) + " is not supported");
    }
    if (zp && zp->dtype() != t) {
      fail(ctx.where() + ": zero point type " + dtype_name(zp->dtype()) + " differs from input type " + dtype_name(t));
    }
    const CtlQuantLayout l = ctl_quant_layout(ctx.where(), x, scale, zp, axis_, ctx.opset);
    const int64_t np = scale.numel();
    scale_.resize(static_cast<size_t>(np));
    zp_.assign(static_cast<size_t>(np), 0);
    for (int64_t i = 0; i < np; ++i) {
      scale_[static_cast<size_t>(i)] = scale.get_double(i);
      if (zp) zp_[static_cast<size_t>(i)] = zp->get_int64(i);
    }
    Tensor& y = ctx.alloc_output(0, scale.dtype(), x.shape());
    auto by_output = [&](auto tag) {
      using X = decltype(tag);
      const X* px = x.data<X>();
      if (scale.dtype() == DType::kDouble) {
        dequantize(px, x.numel(), l, scale_, zp_, y.data<double>());
      } else if (scale.dtype() == DType::kFloat) {
        dequantize(px, x.numel(), l, scale_, zp_, y.data<float>());
      } else {  // float16, a block at a time through float32
        auto* h = static_cast<uint16_t*>(y.raw());
        float buf[256];
        for (int64_t i0 = 0; i0 < x.numel(); i0 += 256) {
          const int64_t n = std::min<int64_t>(256, x.numel() - i0);
          for (int64_t i = 0; i < n; ++i) {
            const size_t p = l.param(i0 + i);
            buf[i] = static_cast<float>(static_cast<int64_t>(px[i0 + i]) - zp_[p]) * static_cast<float>(scale_[p]);
          }
          for (int64_t i = 0; i < n; ++i) h[i0 + i] = float_to_half(buf[i]);
        }
      }
    };
    switch (t) {
      case DType::kUint8:
        by_output(uint8_t{});
        break;
      case DType::kInt8:
        by_output(int8_t{});
        break;
      case DType::kUint16:
        by_output(uint16_t{});
        break;
      case DType::kInt16:
        by_output(int16_t{});
        break;
      default:
        by_output(int32_t{});
        break;
    }
  }

 private:
  int64_t axis_;
  std::vector<double> scale_;  // run state, reused
  std::vector<int64_t> zp_;
};

}  // namespace

void register_DequantizeLinear(KernelRegistry& r) {
  // Opset 23 changed the op again (output_dtype, float4): not implemented.
  r.add({"",
         "DequantizeLinear",
         10,
         22,
         {DType::kUint8, DType::kInt8, DType::kInt32, DType::kUint16, DType::kInt16},
         factory_of<DequantizeLinearKernel>()});
}

}  // namespace edge::rt
