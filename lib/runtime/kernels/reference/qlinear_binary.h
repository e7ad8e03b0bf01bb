// The body of the com.microsoft QLinearAdd / QLinearMul kernels (and their QDQ-fusion form):
// inputs A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale, C_zero_point?, 8-bit
// A and B of one type, per-tensor parameters, numpy broadcasting; the output C has A's type.
//   C = saturate(round_half_even(f(A_scale * (A - A_zp), B_scale * (B - B_zp)) / C_scale) + C_zp)
// computed in double through two 256-entry tables of the operands' real values.
#pragma once

#include <array>

#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {

// f(a_real, b_real) -> real. act narrows the output range (QActivation).
template <typename F>
void qlinear_binary(KernelContext& ctx, const QActivation& act, F&& f) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  q_require_8bit(ctx.where(), a, "A");
  if (b.dtype() != a.dtype()) fail(ctx.where() + ": A " + a.describe() + " and B " + b.describe() + " differ in type");
  const DType t = a.dtype();
  auto zp = [&](int i, const char* what) {
    return q_scalar_zero_point(ctx.where(), ctx.has_input(i) ? &ctx.input(i) : nullptr, t, what);
  };
  const float as = q_scalar_scale(ctx.where(), ctx.input(1), "A"), bs = q_scalar_scale(ctx.where(), ctx.input(4), "B");
  const float cs = q_scalar_scale(ctx.where(), ctx.input(6), "C");
  const int32_t az = zp(2, "A"), bz = zp(5, "B"), cz = zp(7, "C");
  int32_t lo, hi;
  act.range(cs, cz, t, &lo, &hi);
  // Real values of every code, indexed by code - q_min(t).
  std::array<double, 256> ra, rb;
  const int32_t base = q_min(t);
  for (int32_t v = 0; v < 256; ++v) {
    ra[static_cast<size_t>(v)] = static_cast<double>(as) * (v + base - az);
    rb[static_cast<size_t>(v)] = static_cast<double>(bs) * (v + base - bz);
  }
  const double inv_cs = 1.0 / static_cast<double>(cs);
  Tensor& c = ctx.alloc_output(0, t, broadcast_shapes({a.shape(), b.shape()}, ctx.where()));
  auto run = [&](auto tag) {
    using T = decltype(tag);
    binary_broadcast<T, T, T>(a, b, c, [&](T x, T y) {
      const double r = f(ra[static_cast<size_t>(x - base)], rb[static_cast<size_t>(y - base)]);
      return static_cast<T>(q_round_clamp(r * inv_cs, cz, lo, hi));
    });
  };
  if (t == DType::kUint8) {
    run(uint8_t{});
  } else {
    run(int8_t{});
  }
}

}  // namespace edge::rt
