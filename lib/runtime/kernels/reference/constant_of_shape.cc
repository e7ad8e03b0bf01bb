// ConstantOfShape: a tensor of the shape given by the 1-D int64 input, filled with the
// single element of the `value` attribute (default float32 0).
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class ConstantOfShapeKernel : public OpKernel {
 public:
  explicit ConstantOfShapeKernel(const KernelInit& init) {
    value_ = init.attrs.has("value") ? init.attrs.get_tensor("value") : Tensor::scalar<float>(0.f);
    if (value_.numel() != 1) fail(init.where() + ": attribute 'value' must hold exactly one element");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& s = ctx.input(0);
    if (s.rank() > 1) fail(ctx.where() + ": the shape input must be 1-D");
    Shape shape = tensor_util::to_shape(tensor_util::read_ints(s, ctx.where(), "shape"), ctx.where(), "shape");
    Tensor& y = ctx.alloc_output_zeroed(0, value_.dtype(), shape);
    const size_t es = dtype_size(y.dtype());
    bool zero = true;
    const auto* v = static_cast<const uint8_t*>(value_.raw());
    for (size_t i = 0; i < es; ++i) zero = zero && v[i] == 0;
    if (zero) return;  // already zero-filled
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * es, v, es);
  }

 private:
  Tensor value_;
};
}  // namespace

void register_ConstantOfShape(KernelRegistry& r) {
  r.add({"", "ConstantOfShape", 9, kOpsetMax, {}, factory_of<ConstantOfShapeKernel>()});
}

}  // namespace edge::rt
