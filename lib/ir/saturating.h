// Saturating arithmetic for counts that can exceed the integer range on hostile or huge
// models (MACs, parameters, bytes): a result above the type's maximum clamps to it instead
// of overflowing. Operands are non-negative counts.
#pragma once

#include <cstdint>
#include <limits>

namespace edge {

inline int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

inline int64_t sat_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

inline uint64_t sat_add(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}

inline uint64_t sat_mul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}

// True when `v` is the clamped value (the true result may be larger).
// A floating value as int64, clamped to the type's range (NaN -> 0): a plain cast of a value
// outside the range is undefined behaviour.
inline int64_t saturating_int64(double v) {
  if (!(v == v)) return 0;
  if (v >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (v <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

inline bool saturated(int64_t v) { return v == std::numeric_limits<int64_t>::max(); }
inline bool saturated(uint64_t v) { return v == std::numeric_limits<uint64_t>::max(); }

}  // namespace edge
