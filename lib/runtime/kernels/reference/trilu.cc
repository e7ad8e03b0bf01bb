// Trilu: keeps the upper (upper=1) or lower triangle of the last two dims, counted from
// the diagonal shifted by the optional scalar k input, zeroing the rest.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class TriluKernel : public OpKernel {
 public:
  explicit TriluKernel(const KernelInit& init) : upper_(init.attrs.get_int("upper", 1) != 0) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.rank() < 2) fail(ctx.where() + ": input must have rank >= 2");
    int64_t k = ctx.has_input(1) ? tensor_util::read_scalar_int(ctx.input(1), ctx.where(), "k") : 0;
    Tensor& y = ctx.alloc_output_zeroed(0, x.dtype(), x.shape());
    if (y.numel() == 0) return;
    const int64_t rows = x.dim(-2), cols = x.dim(-1);
    // Clamp k so that column arithmetic cannot overflow; beyond these bounds the result is fixed.
    if (k > cols) k = cols + 1;
    if (k < -rows) k = -rows - 1;
    const size_t es = dtype_size(x.dtype());
    const int64_t mats = x.numel() / (rows * cols);
    const auto* src = static_cast<const uint8_t*>(x.raw());
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        // Upper keeps columns j >= i + k; lower keeps j <= i + k.
        int64_t lo = upper_ ? i + k : 0, hi = upper_ ? cols : i + k + 1;
        if (lo < 0) lo = 0;
        if (hi > cols) hi = cols;
        if (hi <= lo) continue;
        const size_t off = static_cast<size_t>((m * rows + i) * cols + lo) * es;
        std::memcpy(dst + off, src + off, static_cast<size_t>(hi - lo) * es);
      }
    }
  }

 private:
  bool upper_;
};
}  // namespace

void register_Trilu(KernelRegistry& r) {
  r.add({"", "Trilu", 14, kOpsetMax, all_types(), factory_of<TriluKernel>()});
}

}  // namespace edge::rt
