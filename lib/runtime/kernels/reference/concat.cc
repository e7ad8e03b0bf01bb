// Concat: joins inputs of equal rank and type along `axis` (all other dims must match).
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class ConcatKernel : public OpKernel {
 public:
  explicit ConcatKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 1)) {
    if (init.opset >= 4 && !init.attrs.has("axis")) fail(init.where() + ": attribute 'axis' is required");
  }

  void compute(KernelContext& ctx) override {
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.num_inputs(); ++i) ins.push_back(&ctx.input(i));
    if (ins.empty()) fail(ctx.where() + ": needs at least one input");
    const Tensor& first = *ins[0];
    if (first.rank() == 0) fail(ctx.where() + ": cannot concatenate scalars");
    const int64_t axis = tensor_util::norm_axis(axis_, first.rank(), ctx.where());
    const size_t ua = static_cast<size_t>(axis);
    Shape out = first.shape();
    out[ua] = 0;
    for (const Tensor* t : ins) {
      if (t->dtype() != first.dtype()) fail(ctx.where() + ": inputs have different element types");
      if (t->rank() != first.rank()) fail(ctx.where() + ": inputs have different ranks");
      for (size_t d = 0; d < out.size(); ++d) {
        if (d != ua && t->shape()[d] != first.shape()[d]) {
          fail(ctx.where() + ": input shapes " + shape_str(first.shape()) + " and " + shape_str(t->shape()) +
               " differ outside the concatenation axis");
        }
      }
      out[ua] += t->shape()[ua];
    }
    Tensor& y = ctx.alloc_output(0, first.dtype(), out);
    if (y.numel() == 0) return;
    const size_t es = dtype_size(first.dtype());
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ua; ++d) outer *= out[d];
    for (size_t d = ua + 1; d < out.size(); ++d) inner *= out[d];
    const size_t out_row = static_cast<size_t>(out[ua] * inner) * es;
    size_t col = 0;
    for (const Tensor* t : ins) {
      const size_t row = static_cast<size_t>(t->shape()[ua] * inner) * es;
      const auto* src = static_cast<const uint8_t*>(t->raw());
      auto* dst = static_cast<uint8_t*>(y.raw()) + col;
      for (int64_t o = 0; o < outer && row > 0; ++o) {
        std::memcpy(dst + static_cast<size_t>(o) * out_row, src + static_cast<size_t>(o) * row, row);
      }
      col += row;
    }
  }

 private:
  int64_t axis_;
};
}  // namespace

void register_Concat(KernelRegistry& r) {
  r.add({"", "Concat", 1, kOpsetMax, all_types(), factory_of<ConcatKernel>()});
}

}  // namespace edge::rt
