// Type conversion shared by Cast and CastLike: every pair of numeric types, bool and
// float16 (float16 goes through float32).
#include <type_traits>

#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
template <typename S, typename D>
D convert(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point_v<S>) {
    return ew_double_to_int<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v);  // integer/bool -> integer: modular
  }
}

bool castable(DType t) { return t == DType::kFloat16 || t == DType::kBool || dispatch_numeric(t, [](auto) {}); }
}  // namespace

Tensor ew_cast(const Tensor& x_in, DType to, const std::string& where) {
  if (!castable(x_in.dtype())) fail_unsupported(where + ": cast from " + dtype_name(x_in.dtype()) + " is not supported");
  if (!castable(to)) fail_unsupported(where + ": cast to " + dtype_name(to) + " is not supported");
  if (x_in.dtype() == to) return x_in.clone();
  const Tensor x = ew_to_float(x_in);
  const DType work_to = to == DType::kFloat16 ? DType::kFloat : to;
  if (x.dtype() == work_to) return to == DType::kFloat16 ? ew_to_half(x) : x;  // float16 <-> float32
  Tensor out(work_to, x.shape());
  const int64_t n = x.numel();
  dispatch_numeric(x.dtype(), [&](auto stag) {
    using S = decltype(stag);
    const S* ps = x.data<S>();
    dispatch_numeric(work_to, [&](auto dtag) {
      using D = decltype(dtag);
      D* pd = out.data<D>();
      for (int64_t i = 0; i < n; ++i) pd[i] = convert<S, D>(ps[i]);
    });
  });
  return to == DType::kFloat16 ? ew_to_half(out) : out;
}

}  // namespace edge::rt
