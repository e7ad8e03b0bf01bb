// EyeLike: a 2-D tensor shaped like the input with ones on the diagonal shifted by k
// and zeros elsewhere; element type from `dtype` or the input's type.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class EyeLikeKernel : public OpKernel {
 public:
  explicit EyeLikeKernel(const KernelInit& init)
      : has_dtype_(init.attrs.has("dtype")), k_(init.attrs.get_int("k", 0)) {
    if (has_dtype_) {
      int64_t t = init.attrs.get_int("dtype", 0);
      dtype_ = dtype_from_onnx(static_cast<int32_t>(t));
      if (t < 0 || t > 64 || !dtype_supported(dtype_) || dtype_ == DType::kString) {
        fail_unsupported(init.where() + ": dtype " + std::to_string(t) + " is not supported");
      }
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.rank() != 2) fail(ctx.where() + ": input must be 2-D, got " + x.describe());
    const DType t = has_dtype_ ? dtype_ : x.dtype();
    Tensor& y = ctx.alloc_output_zeroed(0, t, x.shape());
    const int64_t rows = x.dim(0), cols = x.dim(1);
    const size_t es = dtype_size(t);
    auto* p = static_cast<uint8_t*>(y.raw());
    if (k_ >= cols || k_ <= -rows) return;  // the diagonal lies outside the matrix
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k_;
      if (j < 0 || j >= cols) continue;
      tensor_util::store_double(t, 1.0, p + static_cast<size_t>(i * cols + j) * es);
    }
  }

 private:
  bool has_dtype_;
  int64_t k_;
  DType dtype_ = DType::kUndefined;
};
}  // namespace

void register_EyeLike(KernelRegistry& r) {
  r.add({"", "EyeLike", 9, kOpsetMax, all_types(), factory_of<EyeLikeKernel>()});
}

}  // namespace edge::rt
