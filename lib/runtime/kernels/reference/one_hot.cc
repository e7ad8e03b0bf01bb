// OneHot: for every index, a vector of length `depth` along `axis` (default -1, the new
// last dim) holding values[1] at the index and values[0] elsewhere. Negative indices count
// from depth; indices outside [-depth, depth) give an all-off vector.
#include <cmath>
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class OneHotKernel : public OpKernel {
 public:
  explicit OneHotKernel(const KernelInit& init) : axis_(init.attrs.get_int("axis", -1)) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& ind = ctx.input(0);
    const Tensor& dep = ctx.input(1);
    const Tensor& vals = ctx.input(2);
    if (dep.numel() != 1) fail(where + ": depth must hold one element");
    if (vals.numel() != 2) fail(where + ": values must hold two elements [off, on]");
    const double dd = dep.get_double(0);
    if (!(dd >= 1) || dd > 9.0e15) fail(where + ": depth must be a positive number");
    const int64_t depth = static_cast<int64_t>(dd);
    const int64_t r = ind.rank() + 1;
    if (axis_ < -r || axis_ >= r) fail(where + ": axis " + std::to_string(axis_) + " is out of range");
    const size_t axis = static_cast<size_t>(axis_ < 0 ? axis_ + r : axis_);
    Shape out = ind.shape();
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), depth);
    Tensor& y = ctx.alloc_output(0, vals.dtype(), out);
    if (y.numel() == 0) return;
    const size_t es = dtype_size(vals.dtype());
    const auto* off = static_cast<const uint8_t*>(vals.raw());
    const uint8_t* on = off + es;
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t i = 0; i < y.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * es, off, es);
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= ind.shape()[d];
    for (size_t d = axis; d < ind.shape().size(); ++d) inner *= ind.shape()[d];
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) {
        const double v = ind.get_double(o * inner + in);
        if (!std::isfinite(v) || v < -dd || v >= dd) continue;
        int64_t k = static_cast<int64_t>(v);
        if (k < 0) k += depth;
        if (k < 0 || k >= depth) continue;
        std::memcpy(dst + static_cast<size_t>((o * depth + k) * inner + in) * es, on, es);
      }
    }
  }

 private:
  int64_t axis_;
};
}  // namespace

void register_OneHot(KernelRegistry& r) {
  r.add({"", "OneHot", 9, kOpsetMax, numeric_types(), factory_of<OneHotKernel>()});
}

}  // namespace edge::rt
