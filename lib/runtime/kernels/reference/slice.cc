// Slice: takes [start, end) with a step along chosen axes; starts/ends/axes are
// attributes before opset 10 and inputs (plus steps) from opset 10. Out-of-range bounds
// are clamped as in numpy; negative steps walk backwards.
#include <algorithm>
#include <cstdint>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class SliceKernel : public OpKernel {
 public:
  explicit SliceKernel(const KernelInit& init)
      : starts_(init.attrs.get_ints("starts")), ends_(init.attrs.get_ints("ends")),
        axes_(init.attrs.get_ints("axes")) {
    if (init.opset < 10 && (!init.attrs.has("starts") || !init.attrs.has("ends"))) {
      fail(init.where() + ": attributes 'starts' and 'ends' are required");
    }
  }

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (ctx.opset >= 10) {
      starts = tensor_util::read_ints(ctx.input(1), where, "starts");
      ends = tensor_util::read_ints(ctx.input(2), where, "ends");
      axes = ctx.has_input(3) ? tensor_util::read_ints(ctx.input(3), where, "axes") : std::vector<int64_t>{};
      if (ctx.has_input(4)) steps = tensor_util::read_ints(ctx.input(4), where, "steps");
    }
    const size_t n = starts.size();
    if (ends.size() != n) fail(where + ": starts and ends have different lengths");
    if (axes.empty()) {
      for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (steps.empty()) steps.assign(n, 1);
    if (axes.size() != n || steps.size() != n) fail(where + ": starts, ends, axes and steps differ in length");
    axes = tensor_util::norm_axes(axes, x.rank(), where);

    const size_t r = static_cast<size_t>(x.rank());
    std::vector<int64_t> st(r, 0), step(r, 1);
    Shape out = x.shape();
    for (size_t i = 0; i < n; ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t dim = x.shape()[a];
      const int64_t s = steps[i];
      if (s == 0) fail(where + ": step must not be 0");
      int64_t b = starts[i], e = ends[i];
      if (b < 0) b = b < -dim ? -dim - 1 : b + dim;  // keep within a safe range
      if (e < 0) e = e < -dim ? -dim - 1 : e + dim;
      int64_t count;
      if (dim == 0) {
        b = 0;
        count = 0;
      } else if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        count = e > b ? (e - b - 1) / s + 1 : 0;
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        count = b > e ? (b - e - 1) / (s == INT64_MIN ? INT64_MAX : -s) + 1 : 0;
      }
      st[a] = b;
      step[a] = s;
      out[a] = count;
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    std::vector<int64_t> strides = tensor_util::strides_of(x.shape());
    std::vector<std::vector<int64_t>> offs(r);
    for (size_t d = 0; d < r; ++d) {
      offs[d].resize(static_cast<size_t>(out[d]));
      for (int64_t i = 0; i < out[d]; ++i) offs[d][static_cast<size_t>(i)] = (st[d] + i * step[d]) * strides[d];
    }
    tensor_util::copy_mapped(x, y, offs);
  }

 private:
  std::vector<int64_t> starts_, ends_, axes_;
};
}  // namespace

void register_Slice(KernelRegistry& r) {
  r.add({"", "Slice", 1, kOpsetMax, all_types(), factory_of<SliceKernel>()});
}

}  // namespace edge::rt
