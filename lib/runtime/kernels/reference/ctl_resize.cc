// Shared N-D resampling core of Resize and Upsample (see ctl_resize.h).
#include "runtime/kernels/reference/ctl_resize.h"

#include <algorithm>
#include <cmath>

#include "runtime/kernels/reference/ctl_util.h"

namespace edge::rt {

CtlInterp ctl_parse_interp(const std::string& where, const std::string& s) {
  if (s == "nearest") return CtlInterp::kNearest;
  if (s == "linear" || s == "bilinear") return CtlInterp::kLinear;
  if (s == "cubic") return CtlInterp::kCubic;
  fail(where + ": unknown mode '" + s + "'");
}

CtlCoord ctl_parse_coord(const std::string& where, const std::string& s) {
  if (s == "half_pixel") return CtlCoord::kHalfPixel;
  if (s == "half_pixel_symmetric") return CtlCoord::kHalfPixelSymmetric;
  if (s == "pytorch_half_pixel") return CtlCoord::kPytorchHalfPixel;
  if (s == "align_corners") return CtlCoord::kAlignCorners;
  if (s == "asymmetric") return CtlCoord::kAsymmetric;
  if (s == "tf_half_pixel_for_nn") return CtlCoord::kTfHalfPixelForNn;
  if (s == "tf_crop_and_resize") return CtlCoord::kTfCropAndResize;
  fail(where + ": unknown coordinate_transformation_mode '" + s + "'");
}

CtlNearest ctl_parse_nearest(const std::string& where, const std::string& s) {
  if (s == "round_prefer_floor") return CtlNearest::kRoundPreferFloor;
  if (s == "round_prefer_ceil") return CtlNearest::kRoundPreferCeil;
  if (s == "floor") return CtlNearest::kFloor;
  if (s == "ceil") return CtlNearest::kCeil;
  fail(where + ": unknown nearest_mode '" + s + "'");
}

namespace {

// Interpolation taps of one axis, CSR style: output index o uses entries [start[o], start[o+1]).
struct AxisTaps {
  std::vector<int64_t> start;
  std::vector<int64_t> offset;  // input index * stride
  std::vector<double> weight;
  std::vector<char> outside;    // tf_crop_and_resize: coordinate outside the input
};

double cubic_weight(double d, double a) {
  d = std::fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

double original_coord(const CtlResizeParams& p, int64_t o, int64_t in_len, double scale, double len,
                      double roi_start, double roi_end) {
  const double x = static_cast<double>(o);
  switch (p.coord) {
    case CtlCoord::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case CtlCoord::kHalfPixelSymmetric: {
      // Centres the resized extent on the input when the output length was rounded down.
      const double adjustment = len > 0 ? std::floor(len) / len : 1.0;
      const double offset = static_cast<double>(in_len) / 2.0 * (1.0 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case CtlCoord::kPytorchHalfPixel: return len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CtlCoord::kAlignCorners: return len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (len - 1);
    case CtlCoord::kAsymmetric: return x / scale;
    case CtlCoord::kTfHalfPixelForNn: return (x + 0.5) / scale;
    case CtlCoord::kTfCropAndResize: {
      const double span = static_cast<double>(in_len - 1);
      if (len == 1) return 0.5 * (roi_start + roi_end) * span;
      return roi_start * span + x * (roi_end - roi_start) * span / (len - 1);
    }
  }
  return x;
}

double filter_weight(const CtlResizeParams& p, double d) {
  if (p.mode == CtlInterp::kLinear) return std::max(0.0, 1.0 - std::fabs(d));
  return cubic_weight(d, p.cubic_a);
}

// Antialiased taps of one output position at input coordinate x (downscaling): the filter
// (support 1 for linear, 2 for cubic) stretched by 1/scale, sampled at the input positions
// around x (floor(x) + i for the taps i the stretched support reaches; an integer x counts
// as the right end of the interval below it), weights normalized to sum 1. Positions outside
// the input repeat the edge, or are dropped with exclude_outside (as ONNX's reference).
void antialias_taps(const std::string& where, const CtlResizeParams& p, double x, int64_t in_len, double scale,
                    std::vector<int64_t>& idx, std::vector<double>& w) {
  const double shrink = std::min(scale, 1.0);
  const double support = p.mode == CtlInterp::kLinear ? 1.0 : 2.0;
  double base = std::floor(x), ratio = x - base;
  if (ratio == 0) {
    ratio = 1;
    base -= 1;
  }
  const double reach = std::floor(-support / shrink) + 1;
  if (reach < -double(1 << 24)) fail(where + ": antialias filter for scale " + std::to_string(scale) + " is too wide");
  const auto first = static_cast<int64_t>(reach);
  const int64_t count = 2 - 2 * first;
  const auto b = static_cast<int64_t>(std::clamp(base, -1e15, 1e15));
  double sum = 0;
  for (int64_t i = first; i < first + count; ++i) {
    const int64_t j = b + i;
    double v = filter_weight(p, (static_cast<double>(i) - ratio) * shrink);
    if (p.exclude_outside && (j < 0 || j >= in_len)) v = 0;
    idx.push_back(std::clamp<int64_t>(j, 0, in_len - 1));
    w.push_back(v);
    sum += v;
  }
  if (sum != 0) {
    for (double& v : w) v /= sum;
  }
}

AxisTaps axis_taps(const std::string& where, const CtlResizeParams& p, int64_t in_len, int64_t out_len, int64_t stride, double scale,
                   double len, double roi_start, double roi_end) {
  AxisTaps t;
  t.start.push_back(0);
  t.outside.assign(static_cast<size_t>(out_len), 0);
  std::vector<int64_t> idx;
  std::vector<double> w;
  for (int64_t o = 0; o < out_len; ++o) {
    double x = original_coord(p, o, in_len, scale, len, roi_start, roi_end);
    idx.clear();
    w.clear();
    const bool crop = p.coord == CtlCoord::kTfCropAndResize;
    if (!std::isfinite(x) && !crop) x = 0;
    if (crop && !(x >= 0 && x <= static_cast<double>(in_len - 1))) {
      t.outside[static_cast<size_t>(o)] = 1;
      idx.push_back(0);
      w.push_back(0);
    } else if (p.mode == CtlInterp::kNearest) {
      double r = x;
      switch (p.nearest) {
        case CtlNearest::kRoundPreferFloor: r = std::ceil(x - 0.5); break;
        case CtlNearest::kRoundPreferCeil: r = std::floor(x + 0.5); break;
        case CtlNearest::kFloor: r = std::floor(x); break;
        case CtlNearest::kCeil: r = std::ceil(x); break;
        case CtlNearest::kSimple: r = scale < 1 ? std::ceil(x) : std::floor(x); break;
      }
      idx.push_back(static_cast<int64_t>(std::clamp(r, 0.0, static_cast<double>(in_len - 1))));
      w.push_back(1);
    } else if (p.antialias && scale < 1) {
      antialias_taps(where, p, x, in_len, scale, idx, w);
    } else {
      const double base = std::floor(x);
      const double f = x - base;
      const auto b = static_cast<int64_t>(std::clamp(base, -4.0, static_cast<double>(in_len + 4)));
      if (p.mode == CtlInterp::kLinear) {
        idx = {b, b + 1};
        w = {1 - f, f};
      } else {
        idx = {b - 1, b, b + 1, b + 2};
        w = {cubic_weight(f + 1, p.cubic_a), cubic_weight(f, p.cubic_a), cubic_weight(1 - f, p.cubic_a),
             cubic_weight(2 - f, p.cubic_a)};
      }
      if (p.exclude_outside) {
        double sum = 0;
        for (size_t k = 0; k < idx.size(); ++k) {
          if (idx[k] < 0 || idx[k] >= in_len) w[k] = 0;
          sum += w[k];
        }
        if (sum != 0) {
          for (double& v : w) v /= sum;
        }
      }
      for (auto& i : idx) i = std::clamp<int64_t>(i, 0, in_len - 1);
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      if (w[k] == 0 && idx.size() > 1) continue;
      t.offset.push_back(idx[k] * stride);
      t.weight.push_back(w[k]);
    }
    if (static_cast<int64_t>(t.offset.size()) == t.start.back()) {  // every weight was zero
      t.offset.push_back(0);
      t.weight.push_back(0);
    }
    t.start.push_back(static_cast<int64_t>(t.offset.size()));
  }
  return t;
}

}  // namespace

void ctl_resize(KernelContext& ctx, const Tensor& x, const Shape& out_shape, const std::vector<double>& scales,
                const std::vector<double>& lengths, const std::vector<double>& roi, const CtlResizeParams& p) {
  const int r = x.rank();
  const int64_t out_n = shape_numel(out_shape);
  if (static_cast<uint64_t>(out_n) > max_tensor_bytes() / dtype_size(x.dtype())) {
    throw Error(ErrorCode::kResourceLimit, ctx.where() + ": output " + dtype_name(x.dtype()) + "[" +
                                               shape_str(out_shape) + "] is above the tensor size limit");
  }
  Tensor& y = ctx.alloc_output(0, x.dtype(), out_shape);
  if (y.numel() == 0) return;
  if (x.numel() == 0) fail(ctx.where() + ": cannot resize the empty input " + x.describe() + " to " + shape_str(out_shape));
  ctl_check_buffer(ctx.where(), y.numel());
  std::vector<AxisTaps> taps(static_cast<size_t>(r));
  int64_t stride = 1;
  for (int d = r - 1; d >= 0; --d) {
    const auto ud = static_cast<size_t>(d);
    const double rs = roi.empty() ? 0.0 : roi[ud];
    const double re = roi.empty() ? 1.0 : roi[ud + static_cast<size_t>(r)];
    taps[ud] = axis_taps(ctx.where(), p, x.dim(d), out_shape[ud], stride, scales[ud], lengths[ud], rs, re);
    stride *= x.dim(d);
  }
  const std::vector<double> xv = ctl_read_doubles(x);
  std::vector<double> out(static_cast<size_t>(y.numel()));
  const int64_t inner = out_shape.empty() ? 1 : out_shape.back();
  const int64_t rows = y.numel() / std::max<int64_t>(inner, 1);
  ctx.parallel_for(rows, [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> coord(static_cast<size_t>(r), 0), k(static_cast<size_t>(r), 0);
    for (int64_t row = r0; row < r1; ++row) {
      int64_t rem = row * inner;
      for (int d = r - 1; d >= 0; --d) {
        coord[static_cast<size_t>(d)] = rem % out_shape[static_cast<size_t>(d)];
        rem /= out_shape[static_cast<size_t>(d)];
      }
      for (int64_t col = 0; col < inner; ++col) {
        if (r > 0) coord[static_cast<size_t>(r - 1)] = col;
        bool outside = false;
        for (int d = 0; d < r; ++d) {
          const auto ud = static_cast<size_t>(d);
          outside = outside || taps[ud].outside[static_cast<size_t>(coord[ud])];
          k[ud] = taps[ud].start[static_cast<size_t>(coord[ud])];
        }
        double acc = 0;
        if (outside) {
          acc = p.extrapolation;
        } else {
          while (true) {
            double w = 1;
            int64_t off = 0;
            for (int d = 0; d < r; ++d) {
              const auto ud = static_cast<size_t>(d);
              w *= taps[ud].weight[static_cast<size_t>(k[ud])];
              off += taps[ud].offset[static_cast<size_t>(k[ud])];
            }
            acc += w * xv[static_cast<size_t>(off)];
            int d = r - 1;
            for (; d >= 0; --d) {
              const auto ud = static_cast<size_t>(d);
              if (++k[ud] < taps[ud].start[static_cast<size_t>(coord[ud]) + 1]) break;
              k[ud] = taps[ud].start[static_cast<size_t>(coord[ud])];
            }
            if (d < 0) break;
          }
        }
        out[static_cast<size_t>(row * inner + col)] = acc;
      }
    }
  });
  ctl_write_doubles(y, out);
}

}  // namespace edge::rt
