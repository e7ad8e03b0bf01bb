// Sizes that data files claim, checked before anything is allocated: a header's shape may
// overflow int64 or ask for more than the tensor cap (set_max_tensor_bytes, --max-tensor-mb).
// Every error names the file (`what`).
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "ir/tensor.h"

namespace edge::data {

// Bytes of a `dt` tensor of `shape`; throws Error naming `what` on a negative dim or when
// the element count or byte size overflows.
inline uint64_t checked_nbytes(const Shape& shape, DType dt, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail(what + ": negative dimension " + std::to_string(d) + " in shape " + shape_str(shape));
    if (d != 0 && n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / static_cast<uint64_t>(d)) {
      throw Error(ErrorCode::kResourceLimit, what + ": shape " + shape_str(shape) + " overflows int64");
    }
    n *= static_cast<uint64_t>(d);
  }
  uint64_t esize = dtype_size(dt);
  if (esize && n > std::numeric_limits<uint64_t>::max() / esize) {
    throw Error(ErrorCode::kResourceLimit, what + ": shape " + shape_str(shape) + " of " + dtype_name(dt) + " overflows uint64 bytes");
  }
  return n * esize;
}

// Throws kResourceLimit naming `what` when one tensor of `bytes` is above the tensor cap.
inline void check_tensor_cap(uint64_t bytes, const Shape& shape, DType dt, const std::string& what) {
  if (bytes > max_tensor_bytes()) {
    throw Error(ErrorCode::kResourceLimit, what + ": " + dtype_name(dt) + "[" + shape_str(shape) + "] needs " +
                                               std::to_string(bytes) + " bytes, above the tensor limit of " +
                                               std::to_string(max_tensor_bytes()) + " bytes (--max-tensor-mb)");
  }
}

}  // namespace edge::data
