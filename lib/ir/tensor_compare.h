// Element-wise comparison of two tensors with numpy.allclose(equal_nan=True) semantics, as
// the ONNX backend tests use (np.testing.assert_allclose): |got - want| <= atol + rtol*|want|;
// NaN matches only NaN at the same position (some node tests expect NaN outputs); an
// infinity matches only the same infinity; integers compare exactly.
// A NaN or infinity on one side only is a mismatch and makes max_abs/max_rel infinite, so a
// caller that only looks at max_abs cannot mistake it for a small difference.
#pragma once

#include <string>

#include "ir/tensor.h"

namespace edge {

struct CompareResult {
  bool shape_ok = true;      // same dtype and shape
  std::string shape_error;   // why not, when !shape_ok
  int64_t mismatches = 0;    // elements outside tolerance
  int64_t first_mismatch = -1;
  double max_abs = 0;        // max |got - want|; +inf on a NaN/inf mismatch
  double max_rel = 0;        // max |got - want| / |want| over elements with want != 0; +inf likewise
  bool passed() const { return shape_ok && mismatches == 0; }
};

CompareResult compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol);

}  // namespace edge
