// The body of the com.microsoft QLinearAdd / QLinearMul kernels (and their QDQ-fusion form):
// inputs A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale, C_zero_point?, 8-bit
// A and B of one type, per-tensor parameters, numpy broadcasting; the output C has A's type.
//   C = saturate(round_half_even(f(A_scale * (A - A_zp), B_scale * (B - B_zp)) / C_scale) + C_zp)
// computed in double through two 256-entry tables of the operands' real values.
#pragma once

#include <array>
#include <string>

#include "runtime/kernels/reference/broadcast.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::rt {

// The parameters and formula of one QLinearAdd/QLinearMul: real values of every code (indexed by
// code - base), the output scale's inverse, zero point and range. Shared with the cpu backend's
// pair-table kernel, which evaluates it once per (a, b) code pair at preparation.
struct QBinaryFormula {
  std::array<double, 256> ra{}, rb{};
  double inv_cs = 1;
  int32_t base = 0, cz = 0, lo = 0, hi = 255;

  // Reads and checks the scales and zero points (zero-point tensors may be nullptr).
  QBinaryFormula(const std::string& where, DType t, const Tensor& a_scale, const Tensor* a_zp, const Tensor& b_scale,
                 const Tensor* b_zp, const Tensor& c_scale, const Tensor* c_zp, const QActivation& act) {
    const float as = q_scalar_scale(where, a_scale, "A"), bs = q_scalar_scale(where, b_scale, "B");
    const float cs = q_scalar_scale(where, c_scale, "C");
    const int32_t az = q_scalar_zero_point(where, a_zp, t, "A"), bz = q_scalar_zero_point(where, b_zp, t, "B");
    cz = q_scalar_zero_point(where, c_zp, t, "C");
    act.range(cs, cz, t, &lo, &hi);
    base = q_min(t);
    for (int32_t v = 0; v < 256; ++v) {
      ra[static_cast<size_t>(v)] = static_cast<double>(as) * (v + base - az);
      rb[static_cast<size_t>(v)] = static_cast<double>(bs) * (v + base - bz);
    }
    inv_cs = 1.0 / static_cast<double>(cs);
  }
  // The output code of operand codes x and y (as int32), f(a_real, b_real) -> real.
  template <typename F>
  int32_t eval(int32_t x, int32_t y, F&& f) const {
    const double r = f(ra[static_cast<size_t>(x - base)], rb[static_cast<size_t>(y - base)]);
    return q_round_clamp(r * inv_cs, cz, lo, hi);
  }
};

// f(a_real, b_real) -> real. act narrows the output range (QActivation).
template <typename F>
void qlinear_binary(KernelContext& ctx, const QActivation& act, F&& f) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  q_require_8bit(ctx.where(), a, "A");
  if (b.dtype() != a.dtype()) fail(ctx.where() + ": A " + a.describe() + " and B " + b.describe() + " differ in type");
  const DType t = a.dtype();
  auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
  const QBinaryFormula q(ctx.where(), t, ctx.input(1), opt(2), ctx.input(4), opt(5), ctx.input(6), opt(7), act);
  Tensor& c = ctx.alloc_output(0, t, broadcast_shapes({a.shape(), b.shape()}, ctx.where()));
  auto run = [&](auto tag) {
    using T = decltype(tag);
    binary_broadcast<T, T, T>(a, b, c, [&](T x, T y) { return static_cast<T>(q.eval(x, y, f)); });
  };
  if (t == DType::kUint8) {
    run(uint8_t{});
  } else {
    run(int8_t{});
  }
}

}  // namespace edge::rt
