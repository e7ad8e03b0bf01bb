// GatherElements: out[i..] = data[i.. with the `axis` coordinate replaced by indices[i..]];
// indices has the data's rank and its shape is the output shape.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class GatherElementsKernel : public OpKernel {
 public:
  explicit GatherElementsKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 0)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    if (x.rank() == 0) fail(where + ": data must have rank >= 1");
    if (ind.rank() != x.rank()) fail(where + ": indices and data must have the same rank");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(axis_, x.rank(), where));
    for (size_t d = 0; d < x.shape().size(); ++d) {
      if (d != axis && ind.shape()[d] > x.shape()[d]) {
        fail(where + ": indices shape " + shape_str(ind.shape()) + " exceeds data shape " + shape_str(x.shape()));
      }
    }
    std::vector<int64_t> idx = tensor_util::read_ints(ind, where, "indices");
    Tensor& y = ctx.alloc_output(0, x.dtype(), ind.shape());
    if (y.numel() == 0) return;
    const size_t es = dtype_size(x.dtype());
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    const Shape& is = ind.shape();
    const size_t r = is.size();
    const int64_t dim = x.shape()[axis];
    std::vector<int64_t> pos(r, 0);
    int64_t base = 0;  // data offset of pos with the axis coordinate at 0
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t k = tensor_util::wrap_index(idx[static_cast<size_t>(i)], dim, where);
      std::memcpy(dst + static_cast<size_t>(i) * es, src + static_cast<size_t>(base + k * xs[axis]) * es, es);
      tensor_util::step_except_axis(pos, is, xs, axis, base);
    }
  }

 private:
  int64_t axis_;
};
}  // namespace

void register_GatherElements(KernelRegistry& r) {
  r.add({"", "GatherElements", 11, kOpsetMax, all_types(), factory_of<GatherElementsKernel>()});
}

}  // namespace edge::rt
