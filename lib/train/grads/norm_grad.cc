// Backward of LayerNormalization and BatchNormalization, and BatchNormalization's training
// forward (batch statistics), used by TrainGraph::forward when training mode is on.
//
// LayerNormalization normalizes X over dims [axis, rank) (rows of D elements):
//   xh = (x - mean) * inv, inv = 1 / sqrt(var + eps), Y = xh * Scale + B
//   dX = inv * (g - mean(g) - xh * mean(g * xh)) with g = dY * Scale
//   dScale = sum over rows of dY * xh, dB = sum over rows of dY (then summed down to the
//   parameters' shapes when they broadcast). The Mean / InvStdDev outputs carry no gradient.
// BatchNormalization (per channel, dim 1; or per element for the old spatial = 0 form):
//   frozen statistics: Y = (x - mean) * a + B, a = scale / sqrt(var + eps): dX = dY * a,
//     dScale = sum dY * (x - mean) / sqrt(var + eps), dB = sum dY; mean/var are constants.
//   batch statistics (TrainGraphOptions::bn_training, or a node in training_mode): with M
//     elements per channel, dX = scale * inv / M * (M dY - sum dY - xh sum(dY xh)).
#include <cmath>
#include <string>

#include "ir/status.h"
#include "train/grad_kernel.h"
#include "train/grad_util.h"
#include "train/grads/grad_shape_util.h"

namespace edge::train {
namespace {

void layer_norm_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const int64_t axis = grad_axis(ctx, ctx.attrs->get_int("axis", -1), x.rank());
  const double eps = ctx.attrs->get_float("epsilon", 1e-5f);
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  const AxisSplit sp = split_at_axis(x.shape(), axis);
  const int64_t rows = sp.outer, D = sp.dim * sp.inner;
  const Tensor scale = broadcast_to(as_float(ctx.input(1)), norm_shape);
  const float* xp = x.data<float>();
  const float* gp = dy.data<float>();
  const float* sc = scale.data<float>();
  const bool want_x = ctx.wants_grad(0), want_s = ctx.wants_grad(1), want_b = ctx.wants_grad(2);
  float* dx = want_x ? ctx.grad(0).data<float>() : nullptr;
  std::vector<double> ds(want_s ? static_cast<size_t>(D) : 0, 0.0), db(want_b ? static_cast<size_t>(D) : 0, 0.0);
  std::vector<double> xh(static_cast<size_t>(D));
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = xp + r * D;
    const float* gr = gp + r * D;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < D; ++j) mean += xr[j];
    mean /= static_cast<double>(D);
    for (int64_t j = 0; j < D; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    const double inv = 1.0 / std::sqrt(var / static_cast<double>(D) + eps);
    double mg = 0, mgx = 0;
    for (int64_t j = 0; j < D; ++j) {
      const auto uj = static_cast<size_t>(j);
      xh[uj] = (xr[j] - mean) * inv;
      const double g = static_cast<double>(gr[j]) * sc[j];
      mg += g;
      mgx += g * xh[uj];
      if (want_s) ds[uj] += gr[j] * xh[uj];
      if (want_b) db[uj] += gr[j];
    }
    if (!want_x) continue;
    mg /= static_cast<double>(D);
    mgx /= static_cast<double>(D);
    float* dr = dx + r * D;
    for (int64_t j = 0; j < D; ++j) {
      const double g = static_cast<double>(gr[j]) * sc[j];
      dr[j] = static_cast<float>(inv * (g - mg - xh[static_cast<size_t>(j)] * mgx));
    }
  }
  for (int k = 1; k <= 2; ++k) {
    if (!ctx.wants_grad(k)) continue;
    const std::vector<double>& acc = k == 1 ? ds : db;
    Tensor full(DType::kFloat, norm_shape);
    for (int64_t j = 0; j < D; ++j) full.data<float>()[j] = static_cast<float>(acc[static_cast<size_t>(j)]);
    ctx.set_grad(k, reduce_to_shape(full, ctx.input(k).shape()));
  }
}

// X as [N, C, S] with parameters per channel (slot c) or per element (slot c * S + s).
struct BnLayout {
  int64_t N = 0, C = 0, S = 0;
  bool per_elem = false;
  int64_t slots() const { return per_elem ? C * S : C; }
  int64_t count() const { return per_elem ? N : N * S; }  // elements per slot
  int64_t slot(int64_t c, int64_t s) const { return per_elem ? c * S + s : c; }
};

BnLayout bn_layout(const GradContext& ctx, const Tensor& x) {
  if (x.rank() < 2) fail(ctx.where() + ": X must have rank >= 2, got " + x.describe());
  BnLayout l;
  l.N = x.dim(0);
  l.C = x.dim(1);
  l.S = l.N * l.C == 0 ? 0 : x.numel() / (l.N * l.C);
  const int64_t p = ctx.input(1).numel();
  l.per_elem = p != l.C && p == l.C * l.S;
  if (p != l.C && !l.per_elem) fail(ctx.where() + ": scale " + ctx.input(1).describe() + " does not match X");
  return l;
}

// True when the node itself asks the runtime for batch statistics (its inference kernel then
// computes them too).
bool node_in_training_mode(const GradContext& ctx) {
  if (ctx.opset >= 14) return ctx.attrs->get_int("training_mode", 0) != 0;
  return ctx.node->output_size() > 1 && ctx.attrs->get_int("is_test", 0) == 0;
}

// Batch mean and biased variance per slot.
void batch_stats(const BnLayout& l, const float* x, std::vector<double>& mean, std::vector<double>& var) {
  mean.assign(static_cast<size_t>(l.slots()), 0.0);
  var.assign(static_cast<size_t>(l.slots()), 0.0);
  for (int64_t n = 0; n < l.N; ++n)
    for (int64_t c = 0; c < l.C; ++c)
      for (int64_t s = 0; s < l.S; ++s) mean[static_cast<size_t>(l.slot(c, s))] += x[(n * l.C + c) * l.S + s];
  for (double& m : mean) m /= static_cast<double>(l.count());
  for (int64_t n = 0; n < l.N; ++n)
    for (int64_t c = 0; c < l.C; ++c)
      for (int64_t s = 0; s < l.S; ++s) {
        const auto k = static_cast<size_t>(l.slot(c, s));
        const double d = x[(n * l.C + c) * l.S + s] - mean[k];
        var[k] += d * d;
      }
  for (double& v : var) v /= static_cast<double>(l.count());
}

// Training forward: Y from the batch's statistics; the running statistics outputs (when
// declared) are updated with `momentum`, and opset < 14's saved mean / variance outputs are
// the batch's.
void batch_norm_train_forward(const GradContext& ctx, std::vector<Tensor>& outputs) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat) {
    fail_unsupported(ctx.where() + ": training-mode BatchNormalization supports float32 only, got " + x.describe());
  }
  const BnLayout l = bn_layout(ctx, x);
  const double eps = ctx.attrs->get_float("epsilon", 1e-5f), momentum = ctx.attrs->get_float("momentum", 0.9f);
  std::vector<double> mean, var;
  batch_stats(l, x.data<float>(), mean, var);
  const Tensor scale = as_float(ctx.input(1)), bias = as_float(ctx.input(2));
  std::vector<double> a(mean.size());
  for (size_t k = 0; k < a.size(); ++k) a[k] = scale.data<float>()[k] / std::sqrt(var[k] + eps);
  Tensor y(DType::kFloat, x.shape());
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int64_t n = 0; n < l.N; ++n)
    for (int64_t c = 0; c < l.C; ++c)
      for (int64_t s = 0; s < l.S; ++s) {
        const int64_t e = (n * l.C + c) * l.S + s;
        const auto k = static_cast<size_t>(l.slot(c, s));
        yp[e] = static_cast<float>((xp[e] - mean[k]) * a[k] + bias.data<float>()[k]);
      }
  outputs.at(0) = std::move(y);
  for (size_t o = 1; o < outputs.size() && o <= 4; ++o) {
    if (o >= static_cast<size_t>(ctx.node->output_size()) || ctx.node->output(static_cast<int>(o)).empty()) continue;
    const Tensor run = as_float(ctx.input(o <= 2 ? static_cast<int>(o) + 2 : 3));
    Tensor t(DType::kFloat, run.shape());
    for (size_t k = 0; k < mean.size(); ++k) {
      const double batch = (o == 1 || o == 3) ? mean[k] : var[k];
      t.data<float>()[k] = static_cast<float>(o <= 2 ? run.data<float>()[k] * momentum + batch * (1.0 - momentum) : batch);
    }
    outputs[o] = std::move(t);
  }
}

void batch_norm_grad(GradContext& ctx) {
  const Tensor x = as_float(ctx.input(0));
  const Tensor dy = as_float(*ctx.output_grad(0));
  const BnLayout l = bn_layout(ctx, x);
  const double eps = ctx.attrs->get_float("epsilon", 1e-5f);
  const Tensor scale = as_float(ctx.input(1));
  const bool batch = ctx.bn_training || node_in_training_mode(ctx);
  std::vector<double> mean, var;
  if (batch) {
    batch_stats(l, x.data<float>(), mean, var);
  } else {
    const Tensor m = as_float(ctx.input(3)), v = as_float(ctx.input(4));
    mean.assign(m.data<float>(), m.data<float>() + m.numel());
    var.assign(v.data<float>(), v.data<float>() + v.numel());
  }
  const auto P = static_cast<size_t>(l.slots());
  std::vector<double> inv(P), sum_g(P, 0.0), sum_gx(P, 0.0);  // sums of dY and dY * xh per slot
  for (size_t k = 0; k < P; ++k) inv[k] = 1.0 / std::sqrt(var[k] + eps);
  const float* xp = x.data<float>();
  const float* gp = dy.data<float>();
  for (int64_t n = 0; n < l.N; ++n)
    for (int64_t c = 0; c < l.C; ++c)
      for (int64_t s = 0; s < l.S; ++s) {
        const int64_t e = (n * l.C + c) * l.S + s;
        const auto k = static_cast<size_t>(l.slot(c, s));
        sum_g[k] += gp[e];
        sum_gx[k] += gp[e] * (xp[e] - mean[k]) * inv[k];
      }
  if (ctx.wants_grad(0)) {
    float* dx = ctx.grad(0).data<float>();
    const auto M = static_cast<double>(l.count());
    for (int64_t n = 0; n < l.N; ++n)
      for (int64_t c = 0; c < l.C; ++c)
        for (int64_t s = 0; s < l.S; ++s) {
          const int64_t e = (n * l.C + c) * l.S + s;
          const auto k = static_cast<size_t>(l.slot(c, s));
          const double a = scale.data<float>()[k] * inv[k];
          if (batch) {
            const double xh = (xp[e] - mean[k]) * inv[k];
            dx[e] = static_cast<float>(a / M * (M * gp[e] - sum_g[k] - xh * sum_gx[k]));
          } else {
            dx[e] = static_cast<float>(a * gp[e]);
          }
        }
  }
  for (int k = 1; k <= 2; ++k) {
    if (!ctx.wants_grad(k)) continue;
    float* d = ctx.grad(k).data<float>();
    for (size_t p = 0; p < P; ++p) d[p] = static_cast<float>(k == 1 ? sum_gx[p] : sum_g[p]);
  }
}

}  // namespace

void register_norm_grads(GradRegistry& r) {
  r.add({"", "LayerNormalization", layer_norm_grad, {0, 1, 2}, false});
  r.add({"", "BatchNormalization", batch_norm_grad, {0, 1, 2}, false, batch_norm_train_forward});
}

}  // namespace edge::train
