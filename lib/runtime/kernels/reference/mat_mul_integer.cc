// MatMulInteger (ai.onnx, opset 10): numpy.matmul of uint8/int8 A and B as int32,
//   y[..., m, n] = sum_k (A[..., m, k] - a_zero_point[..., m]) * (B[..., k, n] - b_zero_point[..., n])
// with zero points per tensor, per row of A and per column of B (int_matmul.h).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/int_matmul.h"

namespace edge::rt {
namespace {

class MatMulIntegerKernel : public OpKernel {
 public:
  explicit MatMulIntegerKernel(const KernelInit& init) : core_(init, 1, 3, false) {}

  std::string algorithm() const override { return "igemm"; }

  void compute(KernelContext& ctx) override {
    const Tensor* a_zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const Tensor* b_zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
    const Shape out = core_.begin_run(ctx, ctx.input(0), a_zp, ctx.input(1), b_zp);
    Tensor& y = ctx.alloc_output(0, DType::kInt32, out);
    if (y.numel() > 0) core_.run(ctx, y.data<int32_t>());
  }

 private:
  IntMatMulCore core_;
};

}  // namespace

void register_MatMulInteger(KernelRegistry& r) {
  r.add({"", "MatMulInteger", 10, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<MatMulIntegerKernel>()});
}

}  // namespace edge::rt
