// Upsample: resizes X by per-axis scales (opset 7: `scales` attribute; opset 9: `scales`
// input) with nearest or linear interpolation on asymmetric coordinates.
#include <cmath>
#include <string>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_resize.h"

namespace edge::rt {
namespace {

class UpsampleKernel : public OpKernel {
 public:
  explicit UpsampleKernel(const KernelInit& init) : opset_(init.opset), attr_scales_(init.attrs.get_floats("scales")) {
    p_.mode = ctl_parse_interp(init.where(), init.attrs.get_string("mode", "nearest"));
    if (p_.mode == CtlInterp::kCubic) fail(init.where() + ": Upsample supports modes nearest and linear");
    p_.coord = CtlCoord::kAsymmetric;
    p_.nearest = CtlNearest::kSimple;
    if (opset_ < 9 && !init.attrs.has("scales")) fail(init.where() + ": attribute scales is required");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const auto ur = static_cast<size_t>(x.rank());
    std::vector<double> scales;
    if (opset_ >= 9) {
      const Tensor& s = ctx.input(1);
      if (s.dtype() != DType::kFloat && s.dtype() != DType::kDouble && s.dtype() != DType::kFloat16) {
        fail(ctx.where() + ": scales must be float, got " + s.describe());
      }
      for (int64_t i = 0; i < s.numel(); ++i) scales.push_back(static_cast<float>(s.get_double(i)));
    } else {
      scales.assign(attr_scales_.begin(), attr_scales_.end());
    }
    if (scales.size() != ur) {
      fail(ctx.where() + ": scales must hold " + std::to_string(ur) + " values, got " + std::to_string(scales.size()));
    }
    Shape out(ur);
    std::vector<double> lengths(ur);
    for (size_t d = 0; d < ur; ++d) {
      if (!(scales[d] > 0) || !std::isfinite(scales[d])) {
        fail(ctx.where() + ": scales must be positive, got " + std::to_string(scales[d]));
      }
      lengths[d] = static_cast<double>(x.dim(static_cast<int>(d))) * scales[d];
      if (lengths[d] > 9.2e18) fail(ctx.where() + ": output size out of range on axis " + std::to_string(d));
      out[d] = static_cast<int64_t>(std::floor(lengths[d]));
    }
    ctl_resize(ctx, x, out, scales, lengths, {}, p_);
  }

 private:
  int opset_;
  std::vector<float> attr_scales_;
  CtlResizeParams p_;
};

}  // namespace

void register_Upsample(KernelRegistry& r) {
  r.add({"", "Upsample", 7, 9, all_types(), factory_of<UpsampleKernel>()});
}

}  // namespace edge::rt
