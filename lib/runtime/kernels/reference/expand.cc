// Expand: broadcasts the input to the shape given by the 1-D int64 input, numpy-style
// (the result has the broadcast of both shapes).
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
void compute(KernelContext& ctx) {
  const std::string& where = ctx.where();
  const Tensor& x = ctx.input(0);
  const Tensor& s = ctx.input(1);
  if (s.rank() > 1) fail(where + ": the shape input must be 1-D");
  Shape target = tensor_util::to_shape(tensor_util::read_ints(s, where, "shape"), where, "shape");
  Shape out = broadcast_shapes({x.shape(), target}, where);
  Tensor& y = ctx.alloc_output(0, x.dtype(), out);
  if (y.numel() == 0) return;
  const Shape st = broadcast_strides(x.shape(), out);
  std::vector<std::vector<int64_t>> offs(out.size());
  for (size_t d = 0; d < out.size(); ++d) {
    offs[d].resize(static_cast<size_t>(out[d]));
    for (int64_t i = 0; i < out[d]; ++i) offs[d][static_cast<size_t>(i)] = i * st[d];
  }
  tensor_util::copy_mapped(x, y, offs);
}
}  // namespace

void register_Expand(KernelRegistry& r) {
  r.add({"", "Expand", 8, kOpsetMax, all_types(), function_kernel(compute)});
}

}  // namespace edge::rt
