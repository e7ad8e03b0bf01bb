// ScatterElements: output = copy of data, then for every element of `indices` the
// element at (its position with the `axis` coordinate replaced by the index) becomes
// (or is combined, with reduction add/mul/max/min, with) the matching `updates` element.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
using tensor_util::ScatterReduce;

class ScatterElementsKernel : public OpKernel {
 public:
  explicit ScatterElementsKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", 0)),
        reduce_(tensor_util::parse_scatter_reduction(init.attrs.get_string("reduction", "none"), init.where())) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    const Tensor& upd = ctx.input(2);
    if (x.rank() == 0) fail(where + ": data must have rank >= 1");
    if (ind.rank() != x.rank()) fail(where + ": indices and data must have the same rank");
    if (upd.shape() != ind.shape()) fail(where + ": updates and indices must have the same shape");
    if (upd.dtype() != x.dtype()) fail(where + ": updates and data must have the same element type");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(axis_, x.rank(), where));
    for (size_t d = 0; d < x.shape().size(); ++d) {
      if (d != axis && ind.shape()[d] > x.shape()[d]) {
        fail(where + ": indices shape " + shape_str(ind.shape()) + " exceeds data shape " + shape_str(x.shape()));
      }
    }
    std::vector<int64_t> idx = tensor_util::read_ints(ind, where, "indices");
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    if (ind.numel() == 0) return;
    const size_t es = dtype_size(x.dtype());
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    const Shape& is = ind.shape();
    const size_t r = is.size();
    const int64_t dim = x.shape()[axis];
    std::vector<int64_t> pos(r, 0);
    int64_t base = 0;
    const auto* src = static_cast<const uint8_t*>(upd.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < ind.numel(); ++i) {
      int64_t k = tensor_util::wrap_index(idx[static_cast<size_t>(i)], dim, where);
      uint8_t* target = dst + static_cast<size_t>(base + k * xs[axis]) * es;
      const uint8_t* from = src + static_cast<size_t>(i) * es;
      if (reduce_ == ScatterReduce::kNone) {
        std::memcpy(target, from, es);
      } else {
        tensor_util::scatter_combine(x.dtype(), reduce_, target, from, 1);
      }
      tensor_util::step_except_axis(pos, is, xs, axis, base);
    }
  }

 private:
  int64_t axis_;
  ScatterReduce reduce_;
};
}  // namespace

KernelFactory tensor_util::scatter_elements_factory() { return factory_of<ScatterElementsKernel>(); }

void register_ScatterElements(KernelRegistry& r) {
  r.add({"", "ScatterElements", 11, kOpsetMax, all_types(), tensor_util::scatter_elements_factory()});
}

}  // namespace edge::rt
