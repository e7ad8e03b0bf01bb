// ScatterND: output = copy of data; each index tuple indices[..., :] (length k) addresses
// a slice data[i1..ik, ...] that is replaced by (or combined, with reduction add/mul/
// max/min, with) the matching slice of `updates` (shape indices.shape[:-1] + data.shape[k:]).
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
using tensor_util::ScatterReduce;

class ScatterNDKernel : public OpKernel {
 public:
  explicit ScatterNDKernel(const KernelInit& init)
      : reduce_(tensor_util::parse_scatter_reduction(init.attrs.get_string("reduction", "none"), init.where())) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    const Tensor& upd = ctx.input(2);
    const int64_t r = x.rank(), q = ind.rank();
    if (r < 1 || q < 1) fail(where + ": data and indices must have rank >= 1");
    if (upd.dtype() != x.dtype()) fail(where + ": updates and data must have the same element type");
    const int64_t k = ind.shape().back();
    if (k < 1 || k > r) fail(where + ": last indices dim " + std::to_string(k) + " must be in [1, " + std::to_string(r) + "]");
    Shape expect(ind.shape().begin(), ind.shape().end() - 1);
    for (int64_t d = k; d < r; ++d) expect.push_back(x.shape()[static_cast<size_t>(d)]);
    if (upd.shape() != expect) {
      fail(where + ": updates shape " + shape_str(upd.shape()) + " must be " + shape_str(expect));
    }
    std::vector<int64_t> idx = tensor_util::read_ints(ind, where, "indices");
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    const size_t es = dtype_size(x.dtype());
    int64_t slice = 1;
    for (int64_t d = k; d < r; ++d) slice *= x.shape()[static_cast<size_t>(d)];
    const int64_t n_tuples = static_cast<int64_t>(idx.size()) / k;
    const auto* src = static_cast<const uint8_t*>(upd.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t t = 0; t < n_tuples; ++t) {
      int64_t off = 0;
      for (int64_t j = 0; j < k; ++j) {
        const size_t d = static_cast<size_t>(j);
        off += tensor_util::wrap_index(idx[static_cast<size_t>(t * k + j)], x.shape()[d], where) * xs[d];
      }
      tensor_util::scatter_combine(x.dtype(), reduce_, dst + static_cast<size_t>(off) * es,
                                   src + static_cast<size_t>(t * slice) * es, slice);
    }
  }

 private:
  ScatterReduce reduce_;
};
}  // namespace

void register_ScatterND(KernelRegistry& r) {
  r.add({"", "ScatterND", 11, kOpsetMax, all_types(), factory_of<ScatterNDKernel>()});
}

}  // namespace edge::rt
