// Small tensor helpers shared by the backward kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::train {

// Sums `grad` (the gradient of a broadcast result) down to `shape` (the shape of an input
// that numpy-style broadcasting stretched to grad's shape). Returns float32.
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape);

// Row-major strides of `shape` (in elements).
std::vector<int64_t> strides_of(const Shape& shape);

// A float32 copy of `t` (any float type); `t` itself when already float32.
Tensor as_float(const Tensor& t);

// Zero-filled float32 tensor.
Tensor zeros_f32(const Shape& shape);

// dst[i] += src[i] over n elements.
void add_into(float* dst, const float* src, int64_t n);

}  // namespace edge::train
