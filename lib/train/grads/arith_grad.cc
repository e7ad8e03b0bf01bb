// Backward of the broadcasting binary arithmetic ops. The per-element terms are computed at
// Y's (broadcast) shape and then summed down to each input's shape (reduce_to_shape):
//   Add  dA = dY                 dB = dY
//   Sub  dA = dY                 dB = -dY
//   Mul  dA = dY * B             dB = dY * A
//   Div  dA = dY / B             dB = -dY * A / B^2
//   Pow  dA = dY * B * A^(B-1)   dB = dY * A^B * ln(A) where A > 0, else 0 (the exponent's
//        gradient is only defined for a positive base)
#include <cmath>
#include <utility>

#include "runtime/kernels/reference/broadcast.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"

namespace edge::train {
namespace {

// Add: dA = reduce(dY), dB = reduce(dY).
void add_grad(GradContext& ctx) {
  const Tensor& dy = *ctx.output_grad(0);
  for (int i = 0; i < 2; ++i) {
    if (ctx.wants_grad(i)) ctx.set_grad(i, reduce_to_shape(dy, ctx.input(i).shape()).clone());
  }
}

void sub_grad(GradContext& ctx) {
  const Tensor& dy = *ctx.output_grad(0);
  if (ctx.wants_grad(0)) ctx.set_grad(0, reduce_to_shape(dy, ctx.input(0).shape()).clone());
  if (ctx.wants_grad(1)) {
    Tensor g = reduce_to_shape(dy, ctx.input(1).shape()).clone();
    float* p = g.data<float>();
    for (int64_t i = 0; i < g.numel(); ++i) p[i] = -p[i];
    ctx.set_grad(1, std::move(g));
  }
}

// terms(a, b, dy) -> {dA term, dB term} at one element of Y; each term tensor (Y's shape) is
// then reduced to its input's shape. Only the wanted gradients are computed.
template <typename Terms>
void binary_grad(GradContext& ctx, Terms terms) {
  const Tensor a = as_float(ctx.input(0));
  const Tensor b = as_float(ctx.input(1));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const bool want_a = ctx.wants_grad(0), want_b = ctx.wants_grad(1);
  const Shape& out = dy.shape();
  // A term written straight into the gradient when the input was not broadcast.
  Tensor ta = want_a ? Tensor(DType::kFloat, out) : Tensor();
  Tensor tb = want_b ? Tensor(DType::kFloat, out) : Tensor();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  const float* g = dy.data<float>();
  float* qa = want_a ? ta.data<float>() : nullptr;
  float* qb = want_b ? tb.data<float>() : nullptr;
  rt::for_each_broadcast<2>(out, {a.shape(), b.shape()}, [&](int64_t i, const int64_t* off) {
    const auto [da, db] = terms(pa[off[0]], pb[off[1]], g[i]);
    if (qa) qa[i] = da;
    if (qb) qb[i] = db;
  });
  if (want_a) ctx.set_grad(0, a.shape() == out ? std::move(ta) : reduce_to_shape(ta, a.shape()));
  if (want_b) ctx.set_grad(1, b.shape() == out ? std::move(tb) : reduce_to_shape(tb, b.shape()));
}

void mul_grad(GradContext& ctx) {
  binary_grad(ctx, [](float a, float b, float g) { return std::pair{g * b, g * a}; });
}

void div_grad(GradContext& ctx) {
  binary_grad(ctx, [](float a, float b, float g) {
    const float q = g / b;
    return std::pair{q, -q * a / b};
  });
}

void pow_grad(GradContext& ctx) {
  binary_grad(ctx, [](float a, float b, float g) {
    const double da = static_cast<double>(g) * b * std::pow(static_cast<double>(a), static_cast<double>(b) - 1.0);
    const double db = a > 0.f ? static_cast<double>(g) * std::pow(static_cast<double>(a), static_cast<double>(b)) *
                                    std::log(static_cast<double>(a))
                              : 0.0;
    return std::pair{static_cast<float>(da), static_cast<float>(db)};
  });
}

}  // namespace

void register_elementwise_grads(GradRegistry& r) {
  r.add({"", "Add", add_grad, {}, false});
  r.add({"", "Sub", sub_grad, {}, false});
  r.add({"", "Mul", mul_grad, {}, false});
  r.add({"", "Div", div_grad, {}, false});
  r.add({"", "Pow", pow_grad, {}, false});
}

}  // namespace edge::train
