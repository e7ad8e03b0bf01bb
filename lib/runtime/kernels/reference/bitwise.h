// Shared body of BitwiseAnd/Or/Xor (opset 18): a broadcasting binary op over the integer types
// only.
#pragma once

#include <type_traits>
#include <vector>

#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {

inline const std::vector<DType>& bitwise_types() {
  static const std::vector<DType> types = {DType::kInt8,  DType::kInt16,  DType::kInt32,  DType::kInt64,
                                           DType::kUint8, DType::kUint16, DType::kUint32, DType::kUint64};
  return types;
}

// C = f(A, B) for integer tensors of one type; f gets two values of that type.
template <typename F>
void bitwise_binary(KernelContext& ctx, F&& f) {
  ew_check_type(ctx, ctx.input(0).dtype(), bitwise_types());
  binary_numeric(ctx, [&](auto a, auto b) {
    using T = decltype(a);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return static_cast<T>(f(a, b));
    } else {
      return a;  // not reached: the type was checked above
    }
  });
}

}  // namespace edge::rt
