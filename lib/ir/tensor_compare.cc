#include "ir/tensor_compare.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edge {

CompareResult compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol) {
  CompareResult r;
  if (got.dtype() != want.dtype()) {
    r.shape_ok = false;
    r.shape_error = "dtype " + dtype_name(got.dtype()) + " != expected " + dtype_name(want.dtype());
    return r;
  }
  if (got.shape() != want.shape()) {
    r.shape_ok = false;
    r.shape_error = "shape " + shape_str(got.shape()) + " != expected " + shape_str(want.shape());
    return r;
  }
  const bool is_float =
      got.dtype() == DType::kFloat || got.dtype() == DType::kDouble || got.dtype() == DType::kFloat16;
  for (int64_t i = 0; i < got.numel(); ++i) {
    bool ok;
    double g = got.get_double(i), w = want.get_double(i);
    if (is_float) {
      if (std::isnan(w) || std::isnan(g) || std::isinf(w) || std::isinf(g)) {
        ok = (std::isnan(w) && std::isnan(g)) || g == w;
        if (!ok) r.max_abs = r.max_rel = std::numeric_limits<double>::infinity();
      } else {
        double d = std::fabs(g - w);
        r.max_abs = std::max(r.max_abs, d);
        if (w != 0) r.max_rel = std::max(r.max_rel, d / std::fabs(w));
        ok = d <= atol + rtol * std::fabs(w);
      }
    } else {
      int64_t gi = got.get_int64(i), wi = want.get_int64(i);
      double d = std::fabs(static_cast<double>(gi) - static_cast<double>(wi));
      r.max_abs = std::max(r.max_abs, d);
      if (wi != 0) r.max_rel = std::max(r.max_rel, d / std::fabs(static_cast<double>(wi)));
      ok = gi == wi;
    }
    if (!ok) {
      if (r.first_mismatch < 0) r.first_mismatch = i;
      ++r.mismatches;
    }
  }
  return r;
}

}  // namespace edge
