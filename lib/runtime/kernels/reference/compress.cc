// Compress: keeps the slices along `axis` (or the elements of the flattened input when
// no axis is given) whose entry in the 1-D bool `condition` is true; a shorter condition
// drops the remaining slices.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class CompressKernel : public OpKernel {
 public:
  explicit CompressKernel(const KernelInit& init)
      : has_axis_(init.attrs.has("axis")), axis_(init.attrs.get_int("axis", 0)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x0 = ctx.input(0);
    const Tensor& cond = ctx.input(1);
    if (cond.dtype() != DType::kBool) fail(where + ": condition must be bool");
    if (cond.rank() != 1) fail(where + ": condition must be 1-D");
    const Tensor x = has_axis_ ? x0 : x0.reshaped({x0.numel()});
    if (x.rank() == 0) fail(where + ": input must have rank >= 1");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(has_axis_ ? axis_ : 0, x.rank(), where));
    const int64_t dim = x.shape()[axis];
    if (cond.numel() > dim) {
      fail(where + ": condition has " + std::to_string(cond.numel()) + " entries for an axis of size " +
           std::to_string(dim));
    }
    const bool* c = cond.data<bool>();
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < cond.numel(); ++i) {
      if (c[i]) keep.push_back(i);
    }
    Shape out = x.shape();
    out[axis] = static_cast<int64_t>(keep.size());
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    const size_t block = static_cast<size_t>(inner) * dtype_size(x.dtype());
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k : keep) {
        std::memcpy(dst, src + static_cast<size_t>(o * dim + k) * block, block);
        dst += block;
      }
    }
  }

 private:
  bool has_axis_;
  int64_t axis_;
};
}  // namespace

void register_Compress(KernelRegistry& r) {
  r.add({"", "Compress", 9, kOpsetMax, all_types(), factory_of<CompressKernel>()});
}

}  // namespace edge::rt
