#include "ir/tensor_select.h"

#include <cstring>
#include <string>

namespace edge {

Tensor select_along_axis(const Tensor& t, int axis, const std::vector<int64_t>& indices) {
  const int rank = t.rank();
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    fail("select_along_axis: axis " + std::to_string(axis) + " is outside a " + t.describe() + " tensor");
  }
  const Shape& in = t.shape();
  const int64_t dim = in[static_cast<size_t>(axis)];
  for (int64_t i : indices) {
    if (i < 0 || i >= dim) {
      fail("select_along_axis: index " + std::to_string(i) + " outside an axis of size " + std::to_string(dim));
    }
  }
  Shape out_shape = in;
  out_shape[static_cast<size_t>(axis)] = static_cast<int64_t>(indices.size());
  Tensor out(t.dtype(), out_shape);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= in[static_cast<size_t>(d)];
  for (int d = axis + 1; d < rank; ++d) inner *= in[static_cast<size_t>(d)];
  const size_t block = static_cast<size_t>(inner) * dtype_size(t.dtype());
  const auto* src = static_cast<const uint8_t*>(t.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t k = 0; k < indices.size(); ++k) {
      const size_t from = static_cast<size_t>(o * dim + indices[k]) * block;
      const size_t to = (static_cast<size_t>(o) * indices.size() + k) * block;
      if (block > 0) std::memcpy(dst + to, src + from, block);
    }
  }
  return out;
}

std::vector<int64_t> expand_units(const std::vector<int64_t>& units, int64_t unit) {
  std::vector<int64_t> out;
  out.reserve(units.size() * static_cast<size_t>(unit));
  for (int64_t u : units) {
    for (int64_t k = 0; k < unit; ++k) out.push_back(u * unit + k);
  }
  return out;
}

}  // namespace edge
