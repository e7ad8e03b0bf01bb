// Element-wise comparison of two tensors with numpy.allclose semantics:
// |got - want| <= atol + rtol * |want|, NaN matches NaN, integers compare exactly.
#pragma once

#include <string>

#include "ir/tensor.h"

namespace edge {

struct CompareResult {
  bool shape_ok = true;      // same dtype and shape
  std::string shape_error;   // why not, when !shape_ok
  int64_t mismatches = 0;    // elements outside tolerance
  int64_t first_mismatch = -1;
  double max_abs = 0;        // max |got - want|
  double max_rel = 0;        // max |got - want| / |want| over elements with want != 0
  bool passed() const { return shape_ok && mismatches == 0; }
};

CompareResult compare_tensors(const Tensor& got, const Tensor& want, double rtol, double atol);

}  // namespace edge
