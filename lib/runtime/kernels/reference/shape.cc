// Shape: the input's dims as a 1-D int64 tensor, optionally the slice [start, end)
// (attributes from opset 15, negative values count from the end, clamped to the rank).
#include <algorithm>

#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {
class ShapeKernel : public OpKernel {
 public:
  explicit ShapeKernel(const KernelInit& init)
      : start_(init.attrs.get_int("start", 0)), has_end_(init.attrs.has("end")), end_(init.attrs.get_int("end", 0)) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int64_t r = x.rank();
    int64_t b = 0, e = r;
    if (ctx.opset >= 15) {
      b = start_ < 0 ? start_ + r : start_;
      e = has_end_ ? (end_ < 0 ? end_ + r : end_) : r;
      b = std::clamp<int64_t>(b, 0, r);
      e = std::clamp<int64_t>(e, 0, r);
    }
    const int64_t n = e > b ? e - b : 0;
    Tensor& y = ctx.alloc_output(0, DType::kInt64, {n});
    int64_t* p = y.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = x.shape()[static_cast<size_t>(b + i)];
  }

 private:
  int64_t start_;
  bool has_end_;
  int64_t end_;
};
}  // namespace

void register_Shape(KernelRegistry& r) {
  r.add({"", "Shape", 1, kOpsetMax, {}, factory_of<ShapeKernel>()});
}

}  // namespace edge::rt
