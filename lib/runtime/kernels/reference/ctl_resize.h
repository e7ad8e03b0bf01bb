// Shared N-D resampling core of Resize and Upsample: per-axis coordinate transforms
// (half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric,
// tf_half_pixel_for_nn, tf_crop_and_resize), nearest / linear / cubic interpolation with
// exclude_outside, extrapolation_value and antialiasing, combined separably over every axis.
#pragma once

#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace edge::rt {

enum class CtlCoord {
  kHalfPixel,
  kHalfPixelSymmetric,  // opset 19
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class CtlInterp { kNearest, kLinear, kCubic };
// kSimple: floor when upsampling, ceil when downsampling (Upsample and Resize-10).
enum class CtlNearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct CtlResizeParams {
  CtlInterp mode = CtlInterp::kNearest;
  CtlCoord coord = CtlCoord::kHalfPixel;
  CtlNearest nearest = CtlNearest::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0;
  // Opset 18: linear/cubic filters widened by 1/scale when downscaling, taps outside the
  // input left out and the weights renormalized.
  bool antialias = false;
};

// Parses mode names ("nearest"/"linear"/"cubic", ...); throw naming `where` on unknown ones.
CtlInterp ctl_parse_interp(const std::string& where, const std::string& s);
CtlCoord ctl_parse_coord(const std::string& where, const std::string& s);
CtlNearest ctl_parse_nearest(const std::string& where, const std::string& s);

// Resizes x (any numeric type) into output 0 of `out_shape`. scales[d]: the axis scale used by
// the coordinate transforms; lengths[d]: the (possibly fractional) resized length used by
// align_corners/tf_crop_and_resize/pytorch_half_pixel; roi: 2*rank values (starts then
// ends), only read for tf_crop_and_resize.
void ctl_resize(KernelContext& ctx, const Tensor& x, const Shape& out_shape, const std::vector<double>& scales,
                const std::vector<double>& lengths, const std::vector<double>& roi, const CtlResizeParams& p);

}  // namespace edge::rt
