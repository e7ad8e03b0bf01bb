// Backward of the element-wise math ops:
//   Neg   dX = -dY              Sqrt  dX = dY / (2 * Y)
//   Exp   dX = dY * Y           Log   dX = dY / X
//   Abs   dX = dY * sign(X)     (0 at X = 0)
// (Pow, a binary op with broadcasting, is in arith_grad.cc.)
#include "train/grad_kernel.h"
#include "train/grads/unary_grad_util.h"

namespace edge::train {
namespace {

void neg_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float, float g) { return -g; });
}

void sqrt_grad(GradContext& ctx) {
  unary_grad_from_output(ctx, [](float y, float g) { return g * 0.5f / y; });
}

void exp_grad(GradContext& ctx) {
  unary_grad_from_output(ctx, [](float y, float g) { return g * y; });
}

void log_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) { return g / x; });
}

void abs_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) { return x > 0.f ? g : x < 0.f ? -g : 0.f; });
}

}  // namespace

void register_math_grads(GradRegistry& r) {
  r.add({"", "Neg", neg_grad, {}, false});
  r.add({"", "Sqrt", sqrt_grad, {}, true});
  r.add({"", "Exp", exp_grad, {}, true});
  r.add({"", "Log", log_grad, {}, false});
  r.add({"", "Abs", abs_grad, {}, false});
}

}  // namespace edge::train
