// Gather: picks slices of `data` along `axis` at the positions in `indices` (int32/int64,
// negative values count from the end); output = data[:axis] + indices.shape + data[axis+1:].
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class GatherKernel : public OpKernel {
 public:
  explicit GatherKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 0)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    if (x.rank() == 0) fail(where + ": data must have rank >= 1");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(axis_, x.rank(), where));
    if (!tensor_util::is_index_type(ind.dtype())) fail(where + ": indices must be int32 or int64, got " + dtype_name(ind.dtype()));
    const int64_t dim = x.shape()[axis];
    const int64_t n_idx = ind.numel();
    const bool i32 = ind.dtype() == DType::kInt32;
    // Validated before the output is touched; read again (wrapped) in the copy loop.
    auto index_at = [&](int64_t k) {
      return tensor_util::wrap_index(i32 ? ind.data<int32_t>()[k] : ind.data<int64_t>()[k], dim, where);
    };
    for (int64_t k = 0; k < n_idx; ++k) index_at(k);
    Shape out(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(axis));
    out.insert(out.end(), ind.shape().begin(), ind.shape().end());
    out.insert(out.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.shape().end());
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    const size_t block = static_cast<size_t>(inner) * dtype_size(x.dtype());
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t o = 0; o < outer; ++o) {
      const uint8_t* base = src + static_cast<size_t>(o * dim) * block;
      for (int64_t k = 0; k < n_idx; ++k) {
        std::memcpy(dst, base + static_cast<size_t>(index_at(k)) * block, block);
        dst += block;
      }
    }
  }

 private:
  int64_t axis_;
};
}  // namespace

void register_Gather(KernelRegistry& r) {
  r.add({"", "Gather", 1, kOpsetMax, all_types(), factory_of<GatherKernel>()});
}

}  // namespace edge::rt
