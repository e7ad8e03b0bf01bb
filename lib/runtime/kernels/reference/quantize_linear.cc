// QuantizeLinear: y = saturate(round_half_to_even(x / y_scale) + y_zero_point), per tensor or
// per axis (opset 13 `axis`); the output type is the zero point's (else the opset-21
// `output_dtype`, else uint8).
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {
namespace {

template <typename Q>
void quantize(const std::vector<double>& xv, bool in_float32, const std::vector<double>& sv,
              const std::vector<double>& zv, const CtlQuantLayout& l, Q* out) {
  const double lo = std::numeric_limits<Q>::lowest();
  const double hi = std::numeric_limits<Q>::max();
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t p = l.param(static_cast<int64_t>(i));
    // float32 inputs divide in float32 as the spec's reference does.
    double q = in_float32 ? static_cast<double>(static_cast<float>(xv[i]) / static_cast<float>(sv[p])) : xv[i] / sv[p];
    q = std::nearbyint(q);
    if (std::isnan(q)) q = 0;
    q += zv[p];
    out[i] = static_cast<Q>(q < lo ? lo : (q > hi ? hi : q));
  }
}

class QuantizeLinearKernel : public OpKernel {
 public:
  explicit QuantizeLinearKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", 1)), output_dtype_(init.attrs.get_int("output_dtype", 0)) {
    // Opset 21: blocked quantization and an output type given by attribute.
    if (init.attrs.get_int("block_size", 0) != 0) {
      fail_unsupported(init.where() + ": blocked quantization (block_size) is not supported");
    }
    if (output_dtype_ != 0 && output_dtype_ != static_cast<int64_t>(DType::kUint8) &&
        output_dtype_ != static_cast<int64_t>(DType::kInt8)) {
      fail_unsupported(init.where() + ": output_dtype " + std::to_string(output_dtype_) +
                       " is not supported (uint8 or int8)");
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (!ctl_is_float(x.dtype()) && x.dtype() != DType::kInt32) {
      fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
    }
    const DType out_t = zp ? zp->dtype() : output_dtype_ ? static_cast<DType>(output_dtype_) : DType::kUint8;
    if (zp && output_dtype_ && zp->dtype() != static_cast<DType>(output_dtype_)) {
      fail(ctx.where() + ": output_dtype differs from the zero point's type " + dtype_name(zp->dtype()));
    }
    if (out_t != DType::kUint8 && out_t != DType::kInt8) {
      fail(ctx.where() + ": zero point must be uint8 or int8, got " + zp->describe());
    }
    const CtlQuantLayout l = ctl_quant_layout(ctx.where(), x, scale, zp, axis_, ctx.opset);
    const std::vector<double> xv = ctl_read_doubles(x);
    const std::vector<double> sv = ctl_read_doubles(scale);
    const std::vector<double> zv = zp ? ctl_read_doubles(*zp) : std::vector<double>(sv.size(), 0.0);
    const bool f32 = x.dtype() == DType::kFloat || x.dtype() == DType::kFloat16;
    Tensor& y = ctx.alloc_output(0, out_t, x.shape());
    if (out_t == DType::kUint8) {
      quantize(xv, f32, sv, zv, l, y.data<uint8_t>());
    } else {
      quantize(xv, f32, sv, zv, l, y.data<int8_t>());
    }
  }

 private:
  int64_t axis_;
  int64_t output_dtype_;
};

}  // namespace

void register_QuantizeLinear(KernelRegistry& r) {
  r.add({"", "QuantizeLinear", 10, kOpsetMax, {DType::kFloat, DType::kFloat16, DType::kDouble, DType::kInt32},
         factory_of<QuantizeLinearKernel>()});
}

}  // namespace edge::rt
