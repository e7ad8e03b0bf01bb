// Backward of the element-wise activations (attributes and defaults as the ONNX operators and
// the runtime's forward kernels define them):
//   Relu         dX = dY where X > 0
//   LeakyRelu    dX = dY where X > 0, alpha * dY elsewhere
//   Clip         dX = dY where min <= X <= max (bounds: attributes before opset 11, optional
//                inputs 1 and 2 from 11; the bounds get no gradient)
//   Sigmoid      dX = dY * Y * (1 - Y)          Tanh      dX = dY * (1 - Y^2)
//   Erf          dX = dY * 2/sqrt(pi) * exp(-X^2)
//   Gelu         dX = dY * (Phi(X) + X * phi(X)); approximate="tanh": the derivative of
//                0.5 X (1 + tanh(u)), u = sqrt(2/pi) (X + 0.044715 X^3)
//   HardSigmoid  dX = alpha * dY where 0 < alpha X + beta < 1
//   HardSwish    dX = dY * (X / 3 + 1/2) on (-3, 3), dY above 3, 0 below -3
//   Softplus     dX = dY * sigmoid(X)
//   Elu          dX = dY where X > 0, dY * alpha * exp(X) elsewhere
//   Selu         dX = gamma * dY where X > 0, dY * gamma * alpha * exp(X) elsewhere
#include <cmath>
#include <limits>
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grads/unary_grad_util.h"

namespace edge::train {
namespace {

void relu_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) { return x > 0.f ? g : 0.f; });
}

void leaky_relu_grad(GradContext& ctx) {
  const float alpha = ctx.attrs->get_float("alpha", 0.01f);
  unary_grad_from_input(ctx, [alpha](float x, float g) { return x > 0.f ? g : alpha * g; });
}

// A Clip bound: input i from opset 11 (omitted = unbounded), else the attribute.
float clip_bound(const GradContext& ctx, int input, const char* attr, float unbounded) {
  if (ctx.opset < 11) return ctx.attrs->get_float(attr, unbounded);
  if (!ctx.has_input(input)) return unbounded;
  const Tensor& t = ctx.input(input);
  if (t.numel() != 1) fail(ctx.where() + ": Clip bound input " + std::to_string(input) + " must be a scalar");
  return static_cast<float>(t.get_double(0));
}

void clip_grad(GradContext& ctx) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  const float lo = clip_bound(ctx, 1, "min", -inf), hi = clip_bound(ctx, 2, "max", inf);
  unary_grad_from_input(ctx, [lo, hi](float x, float g) { return x >= lo && x <= hi ? g : 0.f; });
}

void sigmoid_grad(GradContext& ctx) {
  unary_grad_from_output(ctx, [](float y, float g) { return g * y * (1.f - y); });
}

void tanh_grad(GradContext& ctx) {
  unary_grad_from_output(ctx, [](float y, float g) { return g * (1.f - y * y); });
}

constexpr double kTwoOverSqrtPi = 1.1283791670955126;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;
constexpr double kSqrt2OverPi = 0.7978845608028654;

void erf_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) {
    const double v = x;
    return static_cast<float>(g * kTwoOverSqrtPi * std::exp(-v * v));
  });
}

void gelu_grad(GradContext& ctx) {
  const std::string approx = ctx.attrs->get_string("approximate", "none");
  if (approx == "tanh") {
    unary_grad_from_input(ctx, [](float x, float g) {
      const double v = x, t = std::tanh(kSqrt2OverPi * (v + 0.044715 * v * v * v));
      const double du = kSqrt2OverPi * (1.0 + 3.0 * 0.044715 * v * v);
      return static_cast<float>(g * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du));
    });
  } else if (approx == "none") {
    unary_grad_from_input(ctx, [](float x, float g) {
      const double v = x;
      const double cdf = 0.5 * (1.0 + std::erf(v * kInvSqrt2)), pdf = kInvSqrt2Pi * std::exp(-0.5 * v * v);
      return static_cast<float>(g * (cdf + v * pdf));
    });
  } else {
    fail(ctx.where() + ": approximate must be 'none' or 'tanh', got '" + approx + "'");
  }
}

void hard_sigmoid_grad(GradContext& ctx) {
  const float alpha = ctx.attrs->get_float("alpha", 0.2f), beta = ctx.attrs->get_float("beta", 0.5f);
  unary_grad_from_input(ctx, [alpha, beta](float x, float g) {
    const float v = alpha * x + beta;
    return v > 0.f && v < 1.f ? alpha * g : 0.f;
  });
}

void hard_swish_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) { return x <= -3.f ? 0.f : x >= 3.f ? g : g * (x / 3.f + 0.5f); });
}

void softplus_grad(GradContext& ctx) {
  unary_grad_from_input(ctx, [](float x, float g) { return static_cast<float>(g / (1.0 + std::exp(-static_cast<double>(x)))); });
}

void elu_grad(GradContext& ctx) {
  const float alpha = ctx.attrs->get_float("alpha", 1.f);
  unary_grad_from_input(ctx, [alpha](float x, float g) { return x > 0.f ? g : g * alpha * std::exp(x); });
}

void selu_grad(GradContext& ctx) {
  const float alpha = ctx.attrs->get_float("alpha", 1.67326319217681884765625f);
  const float gamma = ctx.attrs->get_float("gamma", 1.05070102214813232421875f);
  unary_grad_from_input(ctx, [alpha, gamma](float x, float g) { return x > 0.f ? gamma * g : g * gamma * alpha * std::exp(x); });
}

}  // namespace

void register_activation_grads(GradRegistry& r) {
  r.add({"", "Relu", relu_grad, {}, false});
  r.add({"", "LeakyRelu", leaky_relu_grad, {}, false});
  r.add({"", "Clip", clip_grad, {0}, false});
  r.add({"", "Sigmoid", sigmoid_grad, {}, true});
  r.add({"", "Tanh", tanh_grad, {}, true});
  r.add({"", "Erf", erf_grad, {}, false});
  r.add({"", "Gelu", gelu_grad, {}, false});
  r.add({"", "HardSigmoid", hard_sigmoid_grad, {}, false});
  r.add({"", "HardSwish", hard_swish_grad, {}, false});
  r.add({"", "Softplus", softplus_grad, {}, false});
  r.add({"", "Elu", elu_grad, {}, false});
  r.add({"", "Selu", selu_grad, {}, false});
}

}  // namespace edge::train
