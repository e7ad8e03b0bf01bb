// Where: output = condition ? X : Y element-wise, with numpy broadcasting of all three.
// Elements are copied bit for bit, so every element type is supported.
#include <cstring>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
template <typename W>
void select(const Tensor& c, const Tensor& x, const Tensor& y, Tensor& out) {
  const bool* pc = c.data<bool>();
  const W* px = static_cast<const W*>(x.raw());
  const W* py = static_cast<const W*>(y.raw());
  W* po = static_cast<W*>(out.raw());
  for_each_broadcast<3>(out.shape(), {c.shape(), x.shape(), y.shape()}, [&](int64_t i, const int64_t* off) {
    po[i] = pc[off[0]] ? px[off[1]] : py[off[2]];
  });
}

void compute(KernelContext& ctx) {
  const Tensor& c = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  if (c.dtype() != DType::kBool) fail(ctx.where() + ": condition must be bool, got " + dtype_name(c.dtype()));
  if (x.dtype() != y.dtype()) {
    fail(ctx.where() + ": X and Y types differ (" + dtype_name(x.dtype()) + " vs " + dtype_name(y.dtype()) + ")");
  }
  const Shape out_shape = broadcast_shapes({c.shape(), x.shape(), y.shape()}, ctx.where());
  Tensor& out = ctx.alloc_output(0, x.dtype(), out_shape);
  switch (dtype_size(x.dtype())) {
    case 1: select<uint8_t>(c, x, y, out); break;
    case 2: select<uint16_t>(c, x, y, out); break;
    case 4: select<uint32_t>(c, x, y, out); break;
    case 8: select<uint64_t>(c, x, y, out); break;
    default: fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }
}
}  // namespace

void register_Where(KernelRegistry& r) {
  r.add({"", "Where", 9, kOpsetMax, {DType::kBool}, function_kernel(compute)});
}

}  // namespace edge::rt
