// Squeeze: removes size-1 dims (the listed axes, or all of them when none are given).
// Axes are an attribute before opset 13 and an optional input from opset 13. A view.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class SqueezeKernel : public OpKernel {
 public:
  explicit SqueezeKernel(const KernelInit& init)
      : has_attr_(init.attrs.has("axes")), attr_axes_(init.attrs.get_ints("axes")) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> axes;
    bool given = false;
    if (ctx.opset >= 13) {
      if (ctx.has_input(1)) {
        axes = tensor_util::read_ints(ctx.input(1), ctx.where(), "axes");
        given = !axes.empty();
      }
    } else if (has_attr_) {
      axes = attr_axes_;
      given = !axes.empty();
    }
    const Shape& s = x.shape();
    std::vector<bool> drop(s.size(), false);
    if (given) {
      for (int64_t a : tensor_util::norm_axes(axes, x.rank(), ctx.where())) {
        if (s[static_cast<size_t>(a)] != 1) {
          fail(ctx.where() + ": cannot squeeze axis " + std::to_string(a) + " of size " +
               std::to_string(s[static_cast<size_t>(a)]));
        }
        drop[static_cast<size_t>(a)] = true;
      }
    } else {
      for (size_t i = 0; i < s.size(); ++i) drop[i] = s[i] == 1;
    }
    Shape out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!drop[i]) out.push_back(s[i]);
    }
    ctx.outputs[0] = x.reshaped(out);
  }

 private:
  bool has_attr_;
  std::vector<int64_t> attr_axes_;
};
}  // namespace

void register_Squeeze(KernelRegistry& r) {
  r.add({"", "Squeeze", 1, kOpsetMax, all_types(), factory_of<SqueezeKernel>()});
}

}  // namespace edge::rt
