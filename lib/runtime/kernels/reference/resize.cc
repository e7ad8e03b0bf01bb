// Resize: N-D resampling of X by `scales` or to `sizes` with nearest, linear or cubic
// interpolation and a configurable coordinate transformation (opset 10: inputs X, scales
// and asymmetric coordinates; opset 11/13: inputs X, roi, scales, sizes). Opset 18 adds
// `axes` (roi/scales/sizes name only those axes), `keep_aspect_ratio_policy` (sizes are
// bounds: one scale for every resized axis, the smallest (not_larger) or the largest
// (not_smaller), output = round(scale * input)) and `antialias`; opset 19 adds the
// half_pixel_symmetric coordinate transformation.
#include <cmath>
#include <string>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ctl_resize.h"
#include "runtime/kernels/reference/ctl_util.h"
#include "runtime/kernels/reference/tensor_util.h"

namespace edge::rt {
namespace {

class ResizeKernel : public OpKernel {
 public:
  explicit ResizeKernel(const KernelInit& init) : opset_(init.opset) {
    const std::string where = init.where();
    p_.mode = ctl_parse_interp(where, init.attrs.get_string("mode", "nearest"));
    if (opset_ < 11) {
      if (p_.mode == CtlInterp::kCubic) fail(where + ": mode 'cubic' needs opset 11");
      p_.coord = CtlCoord::kAsymmetric;
      p_.nearest = CtlNearest::kSimple;
      return;
    }
    p_.coord = ctl_parse_coord(where, init.attrs.get_string("coordinate_transformation_mode", "half_pixel"));
    if (p_.coord == CtlCoord::kTfHalfPixelForNn && opset_ >= 13) {
      fail(where + ": coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed in opset 13");
    }
    p_.nearest = ctl_parse_nearest(where, init.attrs.get_string("nearest_mode", "round_prefer_floor"));
    if (p_.coord == CtlCoord::kHalfPixelSymmetric && opset_ < 19) {
      fail(where + ": coordinate_transformation_mode 'half_pixel_symmetric' needs opset 19");
    }
    p_.cubic_a = init.attrs.get_float("cubic_coeff_a", -0.75f);
    p_.exclude_outside = init.attrs.get_int("exclude_outside", 0) != 0;
    p_.extrapolation = init.attrs.get_float("extrapolation_value", 0.0f);
    if (opset_ >= 18) {
      p_.antialias = init.attrs.get_int("antialias", 0) != 0;
      axes_ = init.attrs.get_ints("axes");
      const std::string policy = init.attrs.get_string("keep_aspect_ratio_policy", "stretch");
      if (policy == "not_larger") {
        policy_ = Policy::kNotLarger;
      } else if (policy == "not_smaller") {
        policy_ = Policy::kNotSmaller;
      } else if (policy != "stretch") {
        fail(where + ": unknown keep_aspect_ratio_policy '" + policy + "'");
      }
    }
  }

  void compute(KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int r = x.rank();
    const auto ur = static_cast<size_t>(r);
    const Tensor* roi_t = opset_ >= 11 && ctx.has_input(1) ? &ctx.input(1) : nullptr;
    const Tensor* scales_t = ctx.has_input(opset_ >= 11 ? 2 : 1) ? &ctx.input(opset_ >= 11 ? 2 : 1) : nullptr;
    const Tensor* sizes_t = opset_ >= 11 && ctx.has_input(3) ? &ctx.input(3) : nullptr;
    if (scales_t && scales_t->numel() == 0) scales_t = nullptr;
    if (sizes_t && sizes_t->numel() == 0) sizes_t = nullptr;
    if (scales_t && sizes_t) fail(ctx.where() + ": only one of scales and sizes may be given");
    if (!scales_t && !sizes_t) fail(ctx.where() + ": one of scales and sizes is required");
    // axes: positions in roi/scales/sizes -> dims (every dim by default).
    std::vector<size_t> axes;
    if (axes_.empty()) {
      for (size_t d = 0; d < ur; ++d) axes.push_back(d);
    } else {
      for (int64_t a : tensor_util::norm_axes(axes_, r, ctx.where())) axes.push_back(static_cast<size_t>(a));
    }
    const auto na = static_cast<int64_t>(axes.size());

    std::vector<double> roi;
    if (p_.coord == CtlCoord::kTfCropAndResize) {
      roi.assign(ur, 0.0);
      roi.resize(2 * ur, 1.0);
      if (roi_t && roi_t->numel() > 0) {
        if (roi_t->numel() != 2 * na) {
          fail(ctx.where() + ": roi must hold " + std::to_string(2 * na) + " values (2 per resized axis), got " +
               roi_t->describe());
        }
        for (int64_t i = 0; i < na; ++i) {
          roi[axes[static_cast<size_t>(i)]] = roi_t->get_double(i);
          roi[axes[static_cast<size_t>(i)] + ur] = roi_t->get_double(i + na);
        }
      }
    }
    Shape out = x.shape();
    std::vector<double> scales(ur, 1.0), lengths(ur);
    for (size_t d = 0; d < ur; ++d) lengths[d] = static_cast<double>(x.shape()[d]);
    if (sizes_t) {
      if (sizes_t->dtype() != DType::kInt64) fail(ctx.where() + ": sizes must be int64, got " + sizes_t->describe());
      if (sizes_t->numel() != na) {
        fail(ctx.where() + ": sizes must hold " + std::to_string(na) + " values, got " + sizes_t->describe());
      }
      double kept = policy_ == Policy::kNotLarger ? HUGE_VAL : 0.0;  // the one scale of a kept aspect ratio
      for (int64_t i = 0; i < na; ++i) {
        const size_t d = axes[static_cast<size_t>(i)];
        out[d] = sizes_t->get_int64(i);
        if (out[d] < 0) fail(ctx.where() + ": negative size " + std::to_string(out[d]));
        if (x.dim(static_cast<int>(d)) == 0 && out[d] != 0) fail(ctx.where() + ": cannot resize an empty axis");
        const double in = static_cast<double>(x.dim(static_cast<int>(d)));
        scales[d] = in > 0 ? static_cast<double>(out[d]) / in : 1.0;
        kept = policy_ == Policy::kNotLarger ? std::min(kept, scales[d]) : std::max(kept, scales[d]);
        lengths[d] = static_cast<double>(out[d]);
      }
      if (policy_ != Policy::kStretch) {
        for (size_t d : axes) {
          scales[d] = kept;
          lengths[d] = kept * static_cast<double>(x.shape()[d]);
          out[d] = static_cast<int64_t>(std::floor(lengths[d] + 0.5));
        }
      }
    } else {
      if (!ctl_is_float(scales_t->dtype())) fail(ctx.where() + ": scales must be float, got " + scales_t->describe());
      if (scales_t->numel() != na) {
        fail(ctx.where() + ": scales must hold " + std::to_string(na) + " values, got " + scales_t->describe());
      }
      for (int64_t i = 0; i < na; ++i) {
        const size_t d = axes[static_cast<size_t>(i)];
        const double s = static_cast<float>(scales_t->get_double(i));
        if (!(s > 0) || !std::isfinite(s)) fail(ctx.where() + ": scales must be positive, got " + std::to_string(s));
        scales[d] = s;
        double len = static_cast<double>(x.dim(static_cast<int>(d))) * s;
        if (p_.coord == CtlCoord::kTfCropAndResize) len *= roi[d + ur] - roi[d];
        if (!(len >= 0) || len > 9.2e18) fail(ctx.where() + ": output size out of range on axis " + std::to_string(d));
        lengths[d] = len;
        out[d] = static_cast<int64_t>(std::floor(len));
      }
    }
    ctl_resize(ctx, x, out, scales, lengths, roi, p_);
  }

 private:
  enum class Policy { kStretch, kNotLarger, kNotSmaller };
  int opset_;
  CtlResizeParams p_;
  std::vector<int64_t> axes_;
  Policy policy_ = Policy::kStretch;
};

}  // namespace

void register_Resize(KernelRegistry& r) {
  r.add({"", "Resize", 10, kOpsetMax, all_types(), factory_of<ResizeKernel>()});
}

}  // namespace edge::rt
