// NonZero: the indices of the non-zero elements as an int64 [rank, count] tensor, in
// row-major order.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<bool> nz(static_cast<size_t>(x.numel()));
  int64_t count = 0;
  bool ok = tensor_util::dispatch_num(x.dtype(), [&](auto tag) {
    using N = tensor_util::Num<decltype(tag)>;
    const auto* p = static_cast<const typename N::Storage*>(x.raw());
    for (int64_t i = 0; i < x.numel(); ++i) {
      bool v = N::load(p[i]) != typename N::Compute(0);
      nz[static_cast<size_t>(i)] = v;
      count += v ? 1 : 0;
    }
  });
  if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  const size_t r = static_cast<size_t>(x.rank());
  Tensor& y = ctx.alloc_output(0, DType::kInt64, {static_cast<int64_t>(r), count});
  if (count == 0 || r == 0) return;
  int64_t* out = y.data<int64_t>();
  std::vector<int64_t> pos(r, 0);
  int64_t k = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (nz[static_cast<size_t>(i)]) {
      for (size_t d = 0; d < r; ++d) out[static_cast<int64_t>(d) * count + k] = pos[d];
      ++k;
    }
    for (size_t d = r; d-- > 0;) {
      if (++pos[d] < x.shape()[d]) break;
      pos[d] = 0;
    }
  }
}
}  // namespace

void register_NonZero(KernelRegistry& r) {
  r.add({"", "NonZero", 9, kOpsetMax, all_types(), function_kernel(compute)});
}

}  // namespace edge::rt
