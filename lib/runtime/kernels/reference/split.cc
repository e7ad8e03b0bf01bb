// Split: cuts the input along `axis` into the node's outputs, with sizes from `split`
// (attribute before opset 13, input from 13; opset 1 also accepts it as input 1) or equal
// (from opset 18 the last chunk may be smaller, and the `num_outputs` attribute, when given,
// must match the node's outputs).
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class SplitKernel : public OpKernel {
 public:
  explicit SplitKernel(const KernelInit& init)
      : axis_(init.attrs.get_int("axis", 0)),
        has_attr_(init.attrs.has("split")),
        attr_split_(init.attrs.get_ints("split")) {
    if (init.opset >= 18 && init.attrs.has("num_outputs")) {
      const int64_t n = init.attrs.get_int("num_outputs", 0);
      if (n != init.node.output_size()) {
        fail(init.where() + ": num_outputs is " + std::to_string(n) + " but the node has " +
             std::to_string(init.node.output_size()) + " outputs");
      }
      if (init.node.input_size() > 1 && !init.node.input(1).empty()) {
        fail(init.where() + ": give either the split input or num_outputs, not both");
      }
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.rank() == 0) fail(ctx.where() + ": cannot split a scalar");
    const int64_t axis = tensor_util::norm_axis(axis_, x.rank(), ctx.where());
    const size_t ua = static_cast<size_t>(axis);
    const int64_t dim = x.shape()[ua];
    const int n_out = ctx.num_outputs();
    if (n_out < 1) fail(ctx.where() + ": has no outputs");
    std::vector<int64_t> split;
    if ((ctx.opset >= 13 || ctx.opset == 1) && ctx.has_input(1)) {
      split = tensor_util::read_ints(ctx.input(1), ctx.where(), "split");
    } else if (ctx.opset < 13 && has_attr_) {
      split = attr_split_;
    }
    if (split.empty() && ctx.opset >= 18 && dim % n_out != 0) {
      // Opset 18: equal chunks of ceil(dim / n), the last one smaller.
      const int64_t chunk = (dim + n_out - 1) / n_out;
      if (chunk * (n_out - 1) >= dim) fail(ctx.where() + ": cannot split dimension " + std::to_string(dim) +
                                           " into " + std::to_string(n_out) + " non-empty chunks");
      split.assign(static_cast<size_t>(n_out), chunk);
      split.back() = dim - chunk * (n_out - 1);
    }
    if (split.empty()) {
      if (dim % n_out != 0) {
        fail(ctx.where() + ": dimension " + std::to_string(dim) + " cannot be split into " +
             std::to_string(n_out) + " equal parts");
      }
      split.assign(static_cast<size_t>(n_out), dim / n_out);
    }
    if (static_cast<int>(split.size()) != n_out) {
      fail(ctx.where() + ": split has " + std::to_string(split.size()) + " entries for " + std::to_string(n_out) +
           " outputs");
    }
    int64_t total = 0;
    for (int64_t s : split) {
      if (s < 0) fail(ctx.where() + ": negative split size " + std::to_string(s));
      total += s;
      if (total > dim) break;
    }
    if (total != dim) {
      fail(ctx.where() + ": split sizes do not add up to dimension " + std::to_string(dim));
    }
    const size_t es = dtype_size(x.dtype());
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ua; ++d) outer *= x.shape()[d];
    for (size_t d = ua + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    const size_t in_row = static_cast<size_t>(dim * inner) * es;
    size_t col = 0;
    for (int i = 0; i < n_out; ++i) {
      Shape os = x.shape();
      os[ua] = split[static_cast<size_t>(i)];
      Tensor& y = ctx.alloc_output(i, x.dtype(), os);
      const size_t row = static_cast<size_t>(os[ua] * inner) * es;
      const auto* src = static_cast<const uint8_t*>(x.raw()) + col;
      auto* dst = static_cast<uint8_t*>(y.raw());
      for (int64_t o = 0; o < outer && row > 0; ++o) {
        std::memcpy(dst + static_cast<size_t>(o) * row, src + static_cast<size_t>(o) * in_row, row);
      }
      col += row;
    }
  }

 private:
  int64_t axis_;
  bool has_attr_;
  std::vector<int64_t> attr_split_;
};
}  // namespace

void register_Split(KernelRegistry& r) {
  r.add({"", "Split", 1, kOpsetMax, all_types(), factory_of<SplitKernel>()});
}

}  // namespace edge::rt
