// Shared helpers for the tensor-group kernels (data movement, indexing, reductions):
// axis/index validation, integer inputs, byte-level copies with per-axis offset tables,
// and a numeric dispatch that includes float16 (computed in float32).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "ir/tensor.h"
#include "runtime/kernel.h"

namespace edge::rt::tensor_util {

// Normalizes `axis` into [0, rank); throws naming `where` when outside [-rank, rank).
int64_t norm_axis(int64_t axis, int64_t rank, const std::string& where, const char* what = "axis");
// Normalizes a list of axes; rejects out-of-range and repeated axes.
std::vector<int64_t> norm_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& where);

// Steps `pos` (row-major over shape `shape`) to the next element, keeping `base` equal to
// the data offset (strides `strides`) of `pos` with its `axis` coordinate taken as 0.
// Gather/ScatterElements walk their indices tensor this way.
inline void step_except_axis(std::vector<int64_t>& pos, const Shape& shape, const std::vector<int64_t>& strides,
                             size_t axis, int64_t& base) {
  for (size_t d = pos.size(); d-- > 0;) {
    if (++pos[d] < shape[d]) {
      if (d != axis) base += strides[d];
      return;
    }
    if (d != axis) base -= strides[d] * (shape[d] - 1);
    pos[d] = 0;
  }
}

[[noreturn]] void index_error(int64_t idx, int64_t n, const std::string& where);
// An index into a dim of size n: negative values wrap once; outside [-n, n) throws.
inline int64_t wrap_index(int64_t idx, int64_t n, const std::string& where) {
  if (idx < 0) idx += n;
  if (idx < 0 || idx >= n) index_error(idx < 0 ? idx - n : idx, n, where);
  return idx;
}

// Row-major strides (in elements).
std::vector<int64_t> strides_of(const Shape& s);

// Reads an int32/int64 tensor (indices, axes, shapes); throws for other element types.
std::vector<int64_t> read_ints(const Tensor& t, const std::string& where, const char* what);
// True for int32/int64.
inline bool is_index_type(DType t) { return t == DType::kInt32 || t == DType::kInt64; }
// Requires `t` to hold one element (scalar or 1-element tensor) and returns it as int64.
int64_t read_scalar_int(const Tensor& t, const std::string& where, const char* what);

// Validates dims read from a tensor as an output shape (no negative dims).
Shape to_shape(const std::vector<int64_t>& dims, const std::string& where, const char* what);

// out[o] = in[sum_d offs[d][o_d]] for every output index o (offsets in elements into
// `in`); when any offs[d][o_d] is -1 the element is set from `fill` (one element's bytes,
// required in that case). offs has one table per output dim, each of the output dim's size.
void copy_mapped(const Tensor& in, Tensor& out, const std::vector<std::vector<int64_t>>& offs,
                 const void* fill = nullptr);
// out = transpose(in viewed with `in_shape`, perm); out must have as many elements.
void permute_copy(const Tensor& in, const Shape& in_shape, const Shape& perm, Tensor& out);

// Writes `v` converted to element type `t` into dst (one element).
void store_double(DType t, double v, void* dst);

// Element access with float16 computed in float32.
struct Half {};
template <typename T>
struct Num {
  using Storage = T;
  using Compute = T;
  static Compute load(Storage v) { return v; }
  static Storage store(Compute v) { return static_cast<Storage>(v); }
};
template <>
struct Num<Half> {
  using Storage = uint16_t;
  using Compute = float;
  static Compute load(Storage v) { return half_to_float(v); }
  static Storage store(Compute v) { return float_to_half(v); }
};

// Like dispatch_numeric, plus float16 (tag Half).
template <typename F>
bool dispatch_num(DType t, F&& f) {
  if (t == DType::kFloat16) {
    f(Half{});
    return true;
  }
  return dispatch_numeric(t, f);
}

template <typename C>
inline bool is_nan_value(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    (void)v;
    return false;
  }
}

// Scatter reductions: none, add, mul, max, min.
enum class ScatterReduce { kNone, kAdd, kMul, kMax, kMin };
ScatterReduce parse_scatter_reduction(const std::string& s, const std::string& where);
// dst[i] = combine(dst[i], src[i]) for n contiguous elements of type t.
void scatter_combine(DType t, ScatterReduce op, void* dst, const void* src, int64_t n);

// a + b and a * b with two's-complement wrap-around for integers (no signed overflow UB).
template <typename C>
inline C add_wrap(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>) {
    return static_cast<C>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  } else {
    return static_cast<C>(a + b);
  }
}
template <typename C>
inline C mul_wrap(C a, C b) {
  if constexpr (std::is_integral_v<C> && !std::is_same_v<C, bool>) {
    return static_cast<C>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  } else {
    return static_cast<C>(a * b);
  }
}

// Factory for ScatterElements (shared with the deprecated Scatter op).
KernelFactory scatter_elements_factory();

}  // namespace edge::rt::tensor_util
