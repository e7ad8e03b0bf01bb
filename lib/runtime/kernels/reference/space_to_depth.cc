// SpaceToDepth: moves blocksize x blocksize spatial blocks of an NCHW tensor into
// channels: [N, C, H, W] -> [N, C*b*b, H/b, W/b].
#include <cstdint>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class SpaceToDepthKernel : public OpKernel {
 public:
  explicit SpaceToDepthKernel(const KernelInit& init) : bs_(init.attrs.require_int("blocksize")) {
    if (bs_ <= 0 || bs_ > (int64_t{1} << 20)) fail(init.where() + ": blocksize must be positive");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.rank() != 4) fail(ctx.where() + ": input must be 4-D, got " + x.describe());
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), b = bs_;
    if (h % b != 0 || w % b != 0) fail(ctx.where() + ": spatial dims not divisible by blocksize");
    if (c > 0 && b * b > INT64_MAX / c) fail(ctx.where() + ": output channel count overflows");
    const int64_t oh = h / b, ow = w / b;
    Tensor& y = ctx.alloc_output(0, x.dtype(), {n, c * b * b, oh, ow});
    if (y.numel() == 0) return;
    // [N, C, H', b, W', b] -> [N, b, b, C, H', W']
    tensor_util::permute_copy(x, {n, c, oh, b, ow, b}, {0, 3, 5, 1, 2, 4}, y);
  }

 private:
  int64_t bs_;
};
}  // namespace

void register_SpaceToDepth(KernelRegistry& r) {
  r.add({"", "SpaceToDepth", 1, kOpsetMax, all_types(), factory_of<SpaceToDepthKernel>()});
}

}  // namespace edge::rt
