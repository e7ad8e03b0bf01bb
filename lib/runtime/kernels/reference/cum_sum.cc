// CumSum: running sums along the axis given by the scalar `axis` input; `exclusive`
// leaves out the current element, `reverse` sums from the end.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class CumSumKernel : public OpKernel {
 public:
  explicit CumSumKernel(const KernelInit& init)
      : exclusive_(init.attrs.get_int("exclusive", 0) != 0), reverse_(init.attrs.get_int("reverse", 0) != 0) {}

  void compute(KernelContext& ctx) override {
    const std::string& where = ctx.where();
    const Tensor& x = ctx.input(0);
    if (x.rank() == 0) fail(where + ": input must have rank >= 1");
    const int64_t a = tensor_util::read_scalar_int(ctx.input(1), where, "axis");
    const size_t axis = static_cast<size_t>(tensor_util::norm_axis(a, x.rank(), where));
    Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
    if (y.numel() == 0) return;
    const int64_t dim = x.shape()[axis];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= x.shape()[d];
    for (size_t d = axis + 1; d < x.shape().size(); ++d) inner *= x.shape()[d];
    bool ok = tensor_util::dispatch_num(x.dtype(), [&](auto tag) {
      using N = tensor_util::Num<decltype(tag)>;
      using C = typename N::Compute;
      using S = typename N::Storage;
      if constexpr (std::is_same_v<C, bool>) {
        fail_unsupported(where + ": bool input is not supported");
      } else {
        const S* px = static_cast<const S*>(x.raw());
        S* py = static_cast<S*>(y.raw());
        for (int64_t o = 0; o < outer; ++o) {
          for (int64_t in = 0; in < inner; ++in) {
            const int64_t base = o * dim * inner + in;
            C acc = 0;
            for (int64_t j = 0; j < dim; ++j) {
              const int64_t i = reverse_ ? dim - 1 - j : j;
              const int64_t off = base + i * inner;
              const C v = N::load(px[off]);
              if (exclusive_) {
                py[off] = N::store(acc);
                acc = tensor_util::add_wrap(acc, v);
              } else {
                acc = tensor_util::add_wrap(acc, v);
                py[off] = N::store(acc);
              }
            }
          }
        }
      }
    });
    if (!ok) fail_unsupported(where + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }

 private:
  bool exclusive_;
  bool reverse_;
};
}  // namespace

void register_CumSum(KernelRegistry& r) {
  r.add({"", "CumSum", 11, kOpsetMax, numeric_types(), factory_of<CumSumKernel>()});
}

}  // namespace edge::rt
