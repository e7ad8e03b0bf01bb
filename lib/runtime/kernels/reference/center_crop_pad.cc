// CenterCropPad (opset 18): crops or zero-pads X around its center to the sizes in `shape` on
// `axes` (default: every axis). A crop window starts at floor((in - out) / 2); padding puts
// floor((out - in) / 2) zeros before the data and the rest after it.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {

class CenterCropPadKernel : public OpKernel {
 public:
  explicit CenterCropPadKernel(const KernelInit& init) : axes_(init.attrs.get_ints("axes")) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const std::vector<int64_t> target = tensor_util::read_ints(ctx.input(1), where, "shape");
    const size_t r = static_cast<size_t>(x.rank());
    std::vector<int64_t> axes = axes_;
    if (axes.empty()) {
      for (size_t d = 0; d < r; ++d) axes.push_back(static_cast<int64_t>(d));
    }
    axes = tensor_util::norm_axes(axes, x.rank(), where);
    if (target.size() != axes.size()) {
      fail(where + ": shape has " + std::to_string(target.size()) + " values for " + std::to_string(axes.size()) +
           " axes");
    }
    Shape out = x.shape();
    std::vector<int64_t> shift(r, 0);  // input index = output index + shift
    for (size_t i = 0; i < axes.size(); ++i) {
      const auto d = static_cast<size_t>(axes[i]);
      if (target[i] < 0) fail(where + ": negative target size " + std::to_string(target[i]));
      const int64_t in = x.shape()[d];
      shift[d] = in >= target[i] ? (in - target[i]) / 2 : -((target[i] - in) / 2);
      out[d] = target[i];
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    std::vector<std::vector<int64_t>> offs(r);
    for (size_t d = 0; d < r; ++d) {
      offs[d].resize(static_cast<size_t>(out[d]));
      for (int64_t o = 0; o < out[d]; ++o) {
        const int64_t i = o + shift[d];
        offs[d][static_cast<size_t>(o)] = i < 0 || i >= x.shape()[d] ? -1 : i * xs[d];
      }
    }
    const uint64_t zero = 0;
    tensor_util::copy_mapped(x, y, offs, &zero);
  }

 private:
  std::vector<int64_t> axes_;
};

}  // namespace

void register_CenterCropPad(KernelRegistry& r) {
  r.add({"", "CenterCropPad", 18, kOpsetMax, all_types(), factory_of<CenterCropPadKernel>()});
}

}  // namespace edge::rt
