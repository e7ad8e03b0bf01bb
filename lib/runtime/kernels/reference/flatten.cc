// Flatten: reshapes the input to 2-D [prod(dims[:axis]), prod(dims[axis:])] (a view).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class FlattenKernel : public OpKernel {
 public:
  explicit FlattenKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", 1)) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int64_t r = x.rank();
    if (axis_ < -r || axis_ > r) {
      fail(ctx.where() + ": axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(r));
    }
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.shape()[static_cast<size_t>(i)];
    int64_t inner = 1;
    for (int64_t i = axis; i < r; ++i) inner *= x.shape()[static_cast<size_t>(i)];
    ctx.outputs[0] = x.reshaped({outer, inner});
  }

 private:
  int64_t axis_;
};
}  // namespace

void register_Flatten(KernelRegistry& r) {
  r.add({"", "Flatten", 1, kOpsetMax, all_types(), factory_of<FlattenKernel>()});
}

}  // namespace edge::rt
