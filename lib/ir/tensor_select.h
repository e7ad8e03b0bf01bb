// Selecting entries of a tensor along one axis (any element type): the building block of
// structured pruning, which keeps some output/input channels of a weight.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge {

// The tensor made of the entries `indices` (in that order, each in [0, dim)) of `t` along
// `axis` (negative counts from the end). Throws Error on a bad axis or index.
Tensor select_along_axis(const Tensor& t, int axis, const std::vector<int64_t>& indices);

// `units` (each a block of `unit` consecutive indices: unit u covers [u*unit, (u+1)*unit))
// expanded to single indices, in order.
std::vector<int64_t> expand_units(const std::vector<int64_t>& units, int64_t unit);

}  // namespace edge
