// GatherND: indices[..., k] address slices data[b.., i1..ik, ...] after `batch_dims`
// leading batch dims; output = indices.shape[:-1] + data.shape[batch_dims + k:].
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class GatherNDKernel : public OpKernel {
 public:
  explicit GatherNDKernel(const KernelInit& init) : batch_dims_(init.attrs.get_int("batch_dims", 0)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    const int64_t b = ctx.opset >= 12 ? batch_dims_ : 0;
    const int64_t r = x.rank(), q = ind.rank();
    if (r < 1 || q < 1) fail(where + ": data and indices must have rank >= 1");
    if (b < 0 || b >= q || b >= r) fail(where + ": batch_dims " + std::to_string(b) + " is out of range");
    const int64_t k = ind.shape().back();
    if (k < 1 || k > r - b) {
      fail(where + ": last indices dim " + std::to_string(k) + " must be in [1, " + std::to_string(r - b) + "]");
    }
    int64_t batch = 1;
    for (int64_t d = 0; d < b; ++d) {
      if (ind.shape()[static_cast<size_t>(d)] != x.shape()[static_cast<size_t>(d)]) {
        fail(where + ": batch dims of data " + shape_str(x.shape()) + " and indices " + shape_str(ind.shape()) +
             " differ");
      }
      batch *= x.shape()[static_cast<size_t>(d)];
    }
    std::vector<int64_t> idx = tensor_util::read_ints(ind, where, "indices");
    Shape out(ind.shape().begin(), ind.shape().end() - 1);
    for (int64_t d = b + k; d < r; ++d) out.push_back(x.shape()[static_cast<size_t>(d)]);
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    const size_t es = dtype_size(x.dtype());
    int64_t slice = 1;
    for (int64_t d = b + k; d < r; ++d) slice *= x.shape()[static_cast<size_t>(d)];
    const size_t block = static_cast<size_t>(slice) * es;
    const int64_t n_tuples = static_cast<int64_t>(idx.size()) / k;
    const int64_t per_batch = n_tuples / batch;
    const int64_t batch_stride = b > 0 ? xs[static_cast<size_t>(b - 1)] : 0;
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t t = 0; t < n_tuples; ++t) {
      int64_t off = (t / per_batch) * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        const size_t d = static_cast<size_t>(b + j);
        off += tensor_util::wrap_index(idx[static_cast<size_t>(t * k + j)], x.shape()[d], where) * xs[d];
      }
      std::memcpy(dst, src + static_cast<size_t>(off) * es, block);
      dst += block;
    }
  }

 private:
  int64_t batch_dims_;
};
}  // namespace

void register_GatherND(KernelRegistry& r) {
  r.add({"", "GatherND", 11, kOpsetMax, all_types(), factory_of<GatherNDKernel>()});
}

}  // namespace edge::rt
