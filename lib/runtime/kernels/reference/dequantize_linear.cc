// DequantizeLinear: y = (x - x_zero_point) * x_scale for int8/uint8/int32 x, per tensor or
// per axis (opset 13 `axis`); the output type is the scale's.
#include <cstdint>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {
namespace {

class DequantizeLinearKernel : public OpKernel {
 public:
  explicit DequantizeLinearKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 1)) {
    if (init.attrs.get_int("block_size", 0) != 0) {  // opset 21
      fail_unsupported(init.where() + ": blocked quantization (block_size) is not supported");
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (x.dtype() != DType::kUint8 && x.dtype() != DType::kInt8 && x.dtype() != DType::kInt32) {
      fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
    }
    if (zp && zp->dtype() != x.dtype()) {
      fail(ctx.where() + ": zero point type " + dtype_name(zp->dtype()) + " differs from input type " +
           dtype_name(x.dtype()));
    }
    const CtlQuantLayout l = ctl_quant_layout(ctx.where(), x, scale, zp, axis_, ctx.opset);
    const std::vector<double> xv = ctl_read_doubles(x);
    const std::vector<double> sv = ctl_read_doubles(scale);
    const std::vector<double> zv = zp ? ctl_read_doubles(*zp) : std::vector<double>(sv.size(), 0.0);
    Tensor& y = ctx.alloc_output(0, scale.dtype(), x.shape());
    std::vector<double> out(xv.size());
    const bool f64 = scale.dtype() == DType::kDouble;
    for (size_t i = 0; i < xv.size(); ++i) {
      const size_t p = l.param(static_cast<int64_t>(i));
      const double diff = xv[i] - zv[p];
      out[i] = f64 ? diff * sv[p] : static_cast<double>(static_cast<float>(diff) * static_cast<float>(sv[p]));
    }
    ctl_write_doubles(y, out);
  }

 private:
  int64_t axis_;
};

}  // namespace

void register_DequantizeLinear(KernelRegistry& r) {
  r.add({"", "DequantizeLinear", 10, kOpsetMax, {DType::kUint8, DType::kInt8, DType::kInt32},
         factory_of<DequantizeLinearKernel>()});
}

}  // namespace edge::rt
