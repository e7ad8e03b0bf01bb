// Helpers shared by the element-wise kernels (ew_ group): type checks, float16 <-> float32
// tensor conversion, integer arithmetic without undefined behaviour, and the variadic
// broadcasting fold used by Min/Max/Sum/Mean.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/reference/broadcast.h"

namespace edge::rt {

// Throws kUnsupported naming the node when `t` is not in `allowed`.
void ew_check_type(const KernelContext& ctx, DType t, const std::vector<DType>& allowed, const char* what = "input");
// Signed integer and floating types (Neg, Sign...).
std::vector<DType> ew_signed_types();
// float16 tensor -> float32 tensor (copy); other types are returned unchanged (shared).
Tensor ew_to_float(const Tensor& t);
// float32 tensor -> float16 tensor.
Tensor ew_to_half(const Tensor& t);
// True for float16/float32/float64.
inline bool ew_is_float(DType t) { return t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16; }

// Unsigned type wide enough that arithmetic on it does not promote to (signed) int.
template <typename T>
using ew_wide_unsigned_t =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

// a - b and a * b with two's complement wrap-around for integers (no signed overflow UB).
template <typename T>
T ew_wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = ew_wide_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return static_cast<T>(a - b);
  }
}
template <typename T>
T ew_wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = ew_wide_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return static_cast<T>(a + b);
  }
}
template <typename T>
T ew_wrap_mul(T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return a && b;
  } else if constexpr (std::is_integral_v<T>) {
    using U = ew_wide_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}
template <typename T>
T ew_wrap_neg(T a) {
  if constexpr (std::is_same_v<T, bool>) {
    return a;
  } else {
    return ew_wrap_sub<T>(T(0), a);
  }
}

// Converts a double to integer type I: truncation toward zero, NaN -> 0, values outside
// the int64/uint64 range saturate, then wrap modulo 2^bits like a C cast through int64.
template <typename I>
I ew_double_to_int(double v) {
  if constexpr (std::is_same_v<I, bool>) {
    return v != 0.0;
  } else {
    if (std::isnan(v)) return I(0);
    if constexpr (std::is_same_v<I, uint64_t>) {
      if (v <= 0.0) return v <= -9.2233720368547758e18 ? uint64_t(1) << 63 : static_cast<uint64_t>(static_cast<int64_t>(v));
      if (v >= 1.8446744073709552e19) return std::numeric_limits<uint64_t>::max();
      return static_cast<uint64_t>(v);
    } else {
      int64_t w;
      if (v >= 9.2233720368547758e18) w = std::numeric_limits<int64_t>::max();
      else if (v <= -9.2233720368547758e18) w = std::numeric_limits<int64_t>::min();
      else w = static_cast<int64_t>(v);
      return static_cast<I>(w);
    }
  }
}

// Variadic op over inputs 0..n-1 with numpy broadcasting. `step(acc, x)` folds one more
// input into the accumulator (generic over the element type). float16 is computed in
// float32. When `mean` is set the result is divided by the number of inputs.
template <typename F>
void ew_variadic(KernelContext& ctx, F&& step, bool mean = false) {
  const int n = ctx.num_inputs();
  if (n < 1) fail(ctx.where() + ": needs at least one input");
  std::vector<Shape> shapes;
  const DType dt = ctx.input(0).dtype();
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    if (t.dtype() != dt) {
      fail(ctx.where() + ": input types differ (" + dtype_name(dt) + " vs " + dtype_name(t.dtype()) + ")");
    }
    shapes.push_back(t.shape());
  }
  const Shape out_shape = broadcast_shapes(shapes, ctx.where());
  const bool half = dt == DType::kFloat16;
  const DType work = half ? DType::kFloat : dt;
  Tensor acc(work, out_shape);
  bool ok = dispatch_numeric(work, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      T* pa = acc.data<T>();
      {
        Tensor first = ew_to_float(ctx.input(0));
        const T* p0 = first.data<T>();
        for_each_broadcast<1>(out_shape, {first.shape()}, [&](int64_t i, const int64_t* off) { pa[i] = p0[off[0]]; });
      }
      for (int k = 1; k < n; ++k) {
        Tensor in = ew_to_float(ctx.input(k));
        const T* pk = in.data<T>();
        for_each_broadcast<1>(out_shape, {in.shape()},
                              [&](int64_t i, const int64_t* off) { pa[i] = static_cast<T>(step(pa[i], pk[off[0]])); });
      }
      if (mean) {
        const int64_t total = acc.numel();
        for (int64_t i = 0; i < total; ++i) pa[i] = static_cast<T>(static_cast<double>(pa[i]) / n);
      }
    }
  });
  if (!ok || dt == DType::kBool) {
    fail_unsupported(ctx.where() + ": input type " + dtype_name(dt) + " is not supported");
  }
  ctx.outputs[0] = half ? ew_to_half(acc) : acc;
}

}  // namespace edge::rt

namespace edge::rt {
// Converts `x` to element type `to` (numeric, bool and float16); floats to integers
// truncate toward zero (see ew_double_to_int). Throws kUnsupported naming `where`.
Tensor ew_cast(const Tensor& x, DType to, const std::string& where);
}  // namespace edge::rt

namespace edge::rt {
// Binary arithmetic ops before opset 7 had `broadcast` (0/1) and `axis` attributes: with
// broadcast=1, B's shape matches a contiguous run of A's dims starting at `axis` (the
// trailing dims when axis is absent); with broadcast=0 the shapes must be equal.
class EwLegacyBroadcast {
 public:
  explicit EwLegacyBroadcast(const KernelInit& init);
  // B reshaped so that numpy broadcasting against A gives the legacy result; B itself from opset 7.
  Tensor rhs(const KernelContext& ctx, const Tensor& a, const Tensor& b) const;

 private:
  int opset_;
  bool broadcast_ = false;
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

// Like binary_numeric (elementwise.h) but on explicit tensors: broadcasting binary op with
// same-typed inputs, output of the same type (or bool when OutBool); float16 via float32.
template <bool OutBool = false, typename F>
void ew_binary(KernelContext& ctx, const Tensor& a_in, const Tensor& b_in, F&& f) {
  if (a_in.dtype() != b_in.dtype()) {
    fail(ctx.where() + ": input types differ (" + dtype_name(a_in.dtype()) + " vs " + dtype_name(b_in.dtype()) + ")");
  }
  const Shape out_shape = broadcast_shapes({a_in.shape(), b_in.shape()}, ctx.where());
  if (a_in.dtype() != DType::kFloat16) {  // straight into the planned output
    Tensor& out = ctx.alloc_output(0, OutBool ? DType::kBool : a_in.dtype(), out_shape);
    bool ok = dispatch_numeric(a_in.dtype(), [&](auto tag) {
      using T = decltype(tag);
      if constexpr (OutBool) {
        binary_broadcast<T, T, bool>(a_in, b_in, out, [&](T x, T z) { return static_cast<bool>(f(x, z)); });
      } else {
        binary_broadcast<T, T, T>(a_in, b_in, out, [&](T x, T z) { return static_cast<T>(f(x, z)); });
      }
    });
    if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(a_in.dtype()) + " is not supported");
    return;
  }
  const Tensor a = ew_to_float(a_in);
  const Tensor b = ew_to_float(b_in);
  Tensor out(OutBool ? DType::kBool : a.dtype(), out_shape);
  dispatch_numeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (OutBool) {
      binary_broadcast<T, T, bool>(a, b, out, [&](T x, T z) { return static_cast<bool>(f(x, z)); });
    } else {
      binary_broadcast<T, T, T>(a, b, out, [&](T x, T z) { return static_cast<T>(f(x, z)); });
    }
  });
  ctx.outputs[0] = OutBool ? out : ew_to_half(out);
}
}  // namespace edge::rt
