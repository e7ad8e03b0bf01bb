// Transpose: permutes the dims of the input by `perm` (default: reversed order).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class TransposeKernel : public OpKernel {
 public:
  explicit TransposeKernel(const KernelInit& init)
      : has_perm_(init.attrs.has("perm")), perm_(init.attrs.get_ints("perm")) {}

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const size_t r = static_cast<size_t>(x.rank());
    Shape perm = perm_;
    if (!has_perm_) {
      perm.resize(r);
      for (size_t i = 0; i < r; ++i) perm[i] = static_cast<int64_t>(r - 1 - i);
    }
    if (perm.size() != r) {
      fail(ctx.where() + ": perm has " + std::to_string(perm.size()) + " entries for an input of rank " +
           std::to_string(r));
    }
    Shape seen(r, 0);
    Shape out(r);
    for (size_t i = 0; i < r; ++i) {
      int64_t p = perm[i];
      if (p < 0 || p >= static_cast<int64_t>(r) || seen[static_cast<size_t>(p)]) {
        fail(ctx.where() + ": perm is not a permutation of the input dims");
      }
      seen[static_cast<size_t>(p)] = 1;
      out[i] = x.shape()[static_cast<size_t>(p)];
    }
    Tensor& y = ctx.alloc_output(0, x.dtype(), out);
    tensor_util::permute_copy(x, x.shape(), perm, y);
  }

 private:
  bool has_perm_;
  Shape perm_;
};
}  // namespace

void register_Transpose(KernelRegistry& r) {
  r.add({"", "Transpose", 1, kOpsetMax, all_types(), factory_of<TransposeKernel>()});
}

}  // namespace edge::rt
