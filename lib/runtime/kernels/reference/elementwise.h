// Shared bodies for element-wise kernels: unary maps and broadcasting binary ops over
// every numeric type (float16 is computed in float32 and rounded back).
#pragma once

#include <cmath>
#include <type_traits>

#include "runtime/kernel.h"
#include "runtime/kernels/reference/broadcast.h"

namespace edge::rt {

// out[i] = f(x[i]) for float types (float32, float64, float16 via float32).
template <typename F>
void unary_float(KernelContext& ctx, F&& f) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
  const int64_t n = x.numel();
  switch (x.dtype()) {
    case DType::kFloat: {
      const float* px = x.data<float>();
      float* py = y.data<float>();
      for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(f(px[i]));
      break;
    }
    case DType::kDouble: {
      const double* px = x.data<double>();
      double* py = y.data<double>();
      for (int64_t i = 0; i < n; ++i) py[i] = static_cast<double>(f(px[i]));
      break;
    }
    case DType::kFloat16: {
      const auto* px = static_cast<const uint16_t*>(x.raw());
      auto* py = static_cast<uint16_t*>(y.raw());
      for (int64_t i = 0; i < n; ++i) py[i] = float_to_half(static_cast<float>(f(half_to_float(px[i]))));
      break;
    }
    default:
      fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }
}

// out[i] = f(x[i]) for every numeric type; f is generic (called with the element type).
template <typename F>
void unary_numeric(KernelContext& ctx, F&& f) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() == DType::kFloat16 || x.dtype() == DType::kFloat || x.dtype() == DType::kDouble) {
    unary_float(ctx, f);
    return;
  }
  Tensor& y = ctx.alloc_output(0, x.dtype(), x.shape());
  const int64_t n = x.numel();
  bool ok = dispatch_numeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* px = x.data<T>();
      T* py = y.data<T>();
      for (int64_t i = 0; i < n; ++i) py[i] = static_cast<T>(f(px[i]));
    }
  });
  if (!ok || x.dtype() == DType::kBool) {
    fail_unsupported(ctx.where() + ": input type " + dtype_name(x.dtype()) + " is not supported");
  }
}

// Broadcasting binary op with same-typed inputs and an output of the same type
// (or bool when OutBool). f is generic over the element type.
template <bool OutBool = false, typename F>
void binary_numeric(KernelContext& ctx, F&& f) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype()) {
    fail(ctx.where() + ": input types differ (" + dtype_name(a.dtype()) + " vs " + dtype_name(b.dtype()) + ")");
  }
  Shape out_shape = broadcast_shapes({a.shape(), b.shape()}, ctx.where());
  DType out_t = OutBool ? DType::kBool : a.dtype();
  Tensor& y = ctx.alloc_output(0, out_t, out_shape);
  if (a.dtype() == DType::kFloat16) {
    const auto* pa = static_cast<const uint16_t*>(a.raw());
    const auto* pb = static_cast<const uint16_t*>(b.raw());
    for_each_broadcast<2>(out_shape, {a.shape(), b.shape()}, [&](int64_t i, const int64_t* off) {
      auto r = f(half_to_float(pa[off[0]]), half_to_float(pb[off[1]]));
      if constexpr (OutBool) {
        y.data<bool>()[i] = r;
      } else {
        static_cast<uint16_t*>(y.raw())[i] = float_to_half(static_cast<float>(r));
      }
    });
    return;
  }
  bool ok = dispatch_numeric(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (OutBool) {
      binary_broadcast<T, T, bool>(a, b, y, [&](T x, T z) { return static_cast<bool>(f(x, z)); });
    } else {
      binary_broadcast<T, T, T>(a, b, y, [&](T x, T z) { return static_cast<T>(f(x, z)); });
    }
  });
  if (!ok) fail_unsupported(ctx.where() + ": input type " + dtype_name(a.dtype()) + " is not supported");
}

}  // namespace edge::rt
