// Unsqueeze: inserts size-1 dims at the given axes of the output (axes are an attribute
// before opset 13 and an input from opset 13). A view.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class UnsqueezeKernel : public OpKernel {
 public:
  explicit UnsqueezeKernel(const KernelInit& init) : attr_axes_(init.attrs.get_ints("axes")) {
    if (init.opset < 13 && !init.attrs.has("axes")) fail(init.where() + ": attribute 'axes' is required");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> axes =
        ctx.opset >= 13 ? tensor_util::read_ints(ctx.input(1), ctx.where(), "axes") : attr_axes_;
    const int64_t out_rank = x.rank() + static_cast<int64_t>(axes.size());
    std::vector<bool> ins(static_cast<size_t>(out_rank), false);
    for (int64_t a : tensor_util::norm_axes(axes, out_rank, ctx.where())) ins[static_cast<size_t>(a)] = true;
    Shape out;
    size_t k = 0;
    for (int64_t i = 0; i < out_rank; ++i) {
      out.push_back(ins[static_cast<size_t>(i)] ? 1 : x.shape()[k++]);
    }
    ctx.outputs[0] = x.reshaped(out);
  }

 private:
  std::vector<int64_t> attr_axes_;
};
}  // namespace

void register_Unsqueeze(KernelRegistry& r) {
  r.add({"", "Unsqueeze", 1, kOpsetMax, all_types(), factory_of<UnsqueezeKernel>()});
}

}  // namespace edge::rt
