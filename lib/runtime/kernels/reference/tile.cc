// Tile: repeats the input repeats[d] times along every dim d (repeats: 1-D int64 input).
#include <cstdint>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const std::string& where = ctx.where();
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> reps = tensor_util::read_ints(ctx.input(1), where, "repeats");
  const size_t r = static_cast<size_t>(x.rank());
  if (reps.size() != r) {
    fail(where + ": repeats has " + std::to_string(reps.size()) + " entries for an input of rank " +
         std::to_string(r));
  }
  Shape out(r);
  for (size_t d = 0; d < r; ++d) {
    if (reps[d] < 0) fail(where + ": negative repeat " + std::to_string(reps[d]));
    if (x.shape()[d] != 0 && reps[d] > INT64_MAX / x.shape()[d]) fail(where + ": output size overflows");
    out[d] = x.shape()[d] * reps[d];
  }
  Tensor& y = ctx.alloc_output(0, x.dtype(), out);
  if (y.numel() == 0) return;
  const std::vector<int64_t> xs = tensor_util::strides_of(x.shape());
  std::vector<std::vector<int64_t>> offs(r);
  for (size_t d = 0; d < r; ++d) {
    offs[d].resize(static_cast<size_t>(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) offs[d][static_cast<size_t>(i)] = (i % x.shape()[d]) * xs[d];
  }
  tensor_util::copy_mapped(x, y, offs);
}
}  // namespace

void register_Tile(KernelRegistry& r) {
  r.add({"", "Tile", 6, kOpsetMax, all_types(), function_kernel(compute)});
}

}  // namespace edge::rt
