// Pad: pads (or, with negative pads, crops) every dim by [begin..., end...] amounts.
// Modes: constant (fill value), reflect (mirror without repeating the edge), edge (repeat
// the edge), wrap (opset 19: cyclic, as if the data tiled the space). Pads/value are
// attributes before opset 11 ("paddings" in opset 1) and inputs from opset 11; from opset 18
// an optional `axes` input says which dims the pads (2 * len(axes) values) refer to.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
enum class Mode { kConstant, kReflect, kEdge, kWrap };

// Pads for the listed axes ([begins..., ends...] of len(axes) each) spread over every dim.
std::vector<int64_t> full_rank_pads(const std::string& where, const std::vector<int64_t>& pads,
                                    const std::vector<int64_t>& axes, int rank) {
  const size_t n = axes.size(), r = static_cast<size_t>(rank);
  if (pads.size() != 2 * n) {
    fail(where + ": pads has " + std::to_string(pads.size()) + " entries for " + std::to_string(n) + " axes");
  }
  std::vector<int64_t> full(2 * r, 0);
  std::vector<bool> seen(r, false);
  for (size_t i = 0; i < n; ++i) {
    const auto a = static_cast<size_t>(tensor_util::norm_axis(axes[i], rank, where));
    if (seen[a]) fail(where + ": axis " + std::to_string(axes[i]) + " is repeated");
    seen[a] = true;
    full[a] = pads[i];
    full[a + r] = pads[i + n];
  }
  return full;
}

class PadKernel : public OpKernel {
 public:
  explicit PadKernel(const KernelInit& init)
      : pads_(init.attrs.get_ints(init.opset < 2 ? "paddings" : "pads")), value_(init.attrs.get_float("value", 0.f)) {
    std::string m = init.attrs.get_string("mode", "constant");
    if (m == "constant") {
      mode_ = Mode::kConstant;
    } else if (m == "reflect") {
      mode_ = Mode::kReflect;
    } else if (m == "edge") {
      mode_ = Mode::kEdge;
    } else if (m == "wrap" && init.opset >= 19) {
      mode_ = Mode::kWrap;
    } else {
      fail(init.where() + ": unknown mode '" + m + "'");
    }
  }

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    const size_t r = static_cast<size_t>(x.rank());
    std::vector<int64_t> pads = pads_;
    uint64_t fill = 0;
    const size_t es = dtype_size(x.dtype());
    if (ctx.opset >= 11) {
      pads = tensor_util::read_ints(ctx.input(1), where, "pads");
      if (ctx.has_input(3)) {
        if (ctx.opset < 18) fail(where + ": the 'axes' input needs opset 18");
        pads = full_rank_pads(where, pads, tensor_util::read_ints(ctx.input(3), where, "axes"), x.rank());
      }
      if (ctx.has_input(2) && mode_ == Mode::kConstant) {
        const Tensor& v = ctx.input(2);
        if (v.dtype() != x.dtype()) fail(where + ": constant_value must have the data's element type");
        if (v.numel() != 1) fail(where + ": constant_value must hold one element");
        std::memcpy(&fill, v.raw(), es);
      }
    } else if (mode_ == Mode::kConstant) {
      tensor_util::store_double(x.dtype(), value_, &fill);
    }
    if (pads.size() != 2 * r) {
      fail(where + ": pads has " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * r));
    }
    const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
    Shape out(r);
    for (size_t d = 0; d < r; ++d) {
      const int64_t dim = x.shape()[d], b = pads[d], e = pads[d + r];
      const int64_t lim = int64_t{1} << 40;
      if (b > lim || e > lim || b < -lim || e < -lim) fail(where + ": pad amount is too large");
      out[d] = dim + b + e;
      if (out[d] < 0) fail(where + ": pads crop dim " + std::to_string(d) + " below zero");
      if (mode_ != Mode::kConstant && dim == 0 && out[d] > 0) {
        fail(where + ": cannot pad an empty dim in reflect, edge or wrap mode");
      }
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    if (y.numel() == 0) return;
    std::vector<std::vector<int64_t>> offs(r);
    for (size_t d = 0; d < r; ++d) {
      const int64_t dim = x.shape()[d], b = pads[d];
      offs[d].resize(static_cast<size_t>(out[d]));
      for (int64_t o = 0; o < out[d]; ++o) {
        int64_t i = o - b;
        if (i < 0 || i >= dim) {
          if (mode_ == Mode::kConstant) {
            offs[d][static_cast<size_t>(o)] = -1;
            continue;
          }
          if (mode_ == Mode::kWrap) {
            i %= dim;
            if (i < 0) i += dim;
          } else if (mode_ == Mode::kEdge || dim == 1) {
            i = i < 0 ? 0 : dim - 1;
          } else {
            const int64_t period = 2 * (dim - 1);
            i %= period;
            if (i < 0) i += period;
            if (i >= dim) i = period - i;
          }
        }
        offs[d][static_cast<size_t>(o)] = i * xs[d];
      }
    }
    tensor_util::copy_mapped(x, y, offs, &fill);
  }

 private:
  std::vector<int64_t> pads_;
  float value_;
  Mode mode_ = Mode::kConstant;
};
}  // namespace

void register_Pad(KernelRegistry& r) {
  r.add({"", "Pad", 1, kOpsetMax, all_types(), factory_of<PadKernel>()});
}

}  // namespace edge::rt
