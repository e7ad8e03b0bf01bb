// Reshape: same data, new shape from the `shape` input (opset >= 5) or attribute (opset < 5).
// 0 copies the input dim (unless allowzero=1), -1 is inferred.
#include "ir/saturating.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {
class ReshapeKernel : public OpKernel {
 public:
  explicit ReshapeKernel(const KernelInit& init)
      : allowzero_(init.attrs.get_int("allowzero", 0) != 0), attr_shape_(init.attrs.get_ints("shape")) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Shape req = attr_shape_;
    if (ctx.opset >= 5) {
      const Tensor& s = ctx.input(1);
      if (s.dtype() != DType::kInt64) fail(ctx.where() + ": shape must be int64, got " + dtype_name(s.dtype()));
      req.resize(static_cast<size_t>(s.numel()));
      for (int64_t i = 0; i < s.numel(); ++i) req[static_cast<size_t>(i)] = s.get_int64(i);
    }
    Shape out(req.size());
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < req.size(); ++i) {
      int64_t d = req[i];
      if (d == -1) {
        if (infer >= 0) fail(ctx.where() + ": more than one -1 in the requested shape");
        infer = static_cast<int>(i);
        continue;
      }
      if (d == 0 && !allowzero_) {
        if (i >= x.shape().size()) fail(ctx.where() + ": 0 in the requested shape has no input dim to copy");
        d = x.shape()[i];
      }
      if (d < 0) fail(ctx.where() + ": invalid dimension " + std::to_string(d) + " in the requested shape");
      out[i] = d;
      known = sat_mul(known, d);  // hostile shapes: saturate, then the checks below refuse it
    }
    if (infer >= 0) {
      if (known == 0 || x.numel() % known != 0) {
        fail(ctx.where() + ": cannot reshape " + x.describe() + " to the requested shape");
      }
      out[static_cast<size_t>(infer)] = x.numel() / known;
    }
    if (shape_numel(out) != x.numel()) {
      fail(ctx.where() + ": cannot reshape " + x.describe() + " to " + shape_str(out));
    }
    ctx.outputs[0] = x.reshaped(out);
  }

 private:
  bool allowzero_;
  Shape attr_shape_;
};
}  // namespace

void register_Reshape(KernelRegistry& r) {
  r.add({"", "Reshape", 1, kOpsetMax, all_types(), factory_of<ReshapeKernel>()});
}

}  // namespace edge::rt
