// DepthToSpace: moves blocks of channels of an NCHW tensor into blocksize x blocksize
// spatial blocks: [N, C, H, W] -> [N, C/(b*b), H*b, W*b]. mode DCR (depth-column-row,
// default) or CRD (column-row-depth, opset 11).
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {
class DepthToSpaceKernel : public OpKernel {
 public:
  explicit DepthToSpaceKernel(const KernelInit& init) : bs_(init.attrs.require_int("blocksize")) {
    std::string m = init.attrs.get_string("mode", "DCR");
    if (m != "DCR" && m != "CRD") fail(init.where() + ": unknown mode '" + m + "'");
    crd_ = m == "CRD";
    if (bs_ <= 0 || bs_ > (int64_t{1} << 20)) fail(init.where() + ": blocksize must be positive");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.rank() != 4) fail(ctx.where() + ": input must be 4-D, got " + x.describe());
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), b = bs_;
    if (c % (b * b) != 0) {
      fail(ctx.where() + ": channels " + std::to_string(c) + " not divisible by blocksize^2");
    }
    const int64_t oc = c / (b * b);
    Tensor& y = ctx.alloc_output(0, x.dtype(), {n, oc, h * b, w * b});
    if (y.numel() == 0) return;
    if (crd_) {
      // [N, C', b, b, H, W] -> [N, C', H, b, W, b]
      tensor_util::permute_copy(x, {n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, y);
    } else {
      // [N, b, b, C', H, W] -> [N, C', H, b, W, b]
      tensor_util::permute_copy(x, {n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, y);
    }
  }

 private:
  int64_t bs_;
  bool crd_ = false;
};
}  // namespace

void register_DepthToSpace(KernelRegistry& r) {
  r.add({"", "DepthToSpace", 1, kOpsetMax, all_types(), factory_of<DepthToSpaceKernel>()});
}

}  // namespace edge::rt
