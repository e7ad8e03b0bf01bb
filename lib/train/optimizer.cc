#include "train/optimizer.h"

#include <cmath>

#include "ir/status.h"

namespace edge::train {

OptimizerKind parse_optimizer(const std::string& name, const std::string& what) {
  if (name == "sgd") return OptimizerKind::kSgd;
  if (name == "adam") return OptimizerKind::kAdam;
  if (name == "adamw") return OptimizerKind::kAdamW;
  fail(what + ": unknown optimizer '" + name + "' (sgd, adam or adamw)");
}

const char* optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd: return "sgd";
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kAdamW: return "adamw";
  }
  return "?";
}

Optimizer::Optimizer(OptimizerOptions options, const std::vector<Tensor>& params) : options_(options) {
  m_.resize(params.size());
  v_.resize(params.size());
  param_steps_.assign(params.size(), 0);
  for (size_t k = 0; k < params.size(); ++k) {
    const auto n = static_cast<size_t>(params[k].numel());
    m_[k].assign(n, 0.f);
    if (options_.kind != OptimizerKind::kSgd) v_[k].assign(n, 0.f);
  }
}

void Optimizer::step(std::vector<Tensor>& params, const std::vector<Tensor>& grads, double lr) {
  if (params.size() != m_.size()) fail_internal("optimizer: parameter count changed");
  ++steps_;
  const auto wd = static_cast<float>(options_.weight_decay);
  const auto flr = static_cast<float>(lr);
  for (size_t k = 0; k < params.size(); ++k) {
    if (k >= grads.size() || !grads[k].defined()) continue;
    Tensor& p = params[k];
    const Tensor& g = grads[k];
    if (g.numel() != p.numel() || p.dtype() != DType::kFloat || g.dtype() != DType::kFloat) {
      fail_internal("optimizer: gradient " + g.describe() + " does not match parameter " + p.describe());
    }
    float* w = p.data<float>();
    const float* gr = g.data<float>();
    float* m = m_[k].data();
    const int64_t n = p.numel();
    if (options_.kind == OptimizerKind::kSgd) {
      const auto mom = static_cast<float>(options_.momentum);
      for (int64_t i = 0; i < n; ++i) {
        const float d = gr[i] + wd * w[i];
        m[i] = mom * m[i] + d;
        w[i] -= flr * (options_.nesterov ? d + mom * m[i] : m[i]);
      }
      continue;
    }
    float* v = v_[k].data();
    const int64_t t = ++param_steps_[k];
    const auto b1 = static_cast<float>(options_.beta1), b2 = static_cast<float>(options_.beta2);
    const double c1 = 1.0 - std::pow(options_.beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(options_.beta2, static_cast<double>(t));
    // lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); eps scaled alike (the usual Adam form).
    const auto step_size = static_cast<float>(lr * std::sqrt(c2) / c1);
    const auto eps = static_cast<float>(options_.eps * std::sqrt(c2));
    const bool decoupled = options_.kind == OptimizerKind::kAdamW;
    for (int64_t i = 0; i < n; ++i) {
      const float d = decoupled ? gr[i] : gr[i] + wd * w[i];
      m[i] = b1 * m[i] + (1.f - b1) * d;
      v[i] = b2 * v[i] + (1.f - b2) * d * d;
      if (decoupled) w[i] -= flr * wd * w[i];
      w[i] -= step_size * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
}

}  // namespace edge::train
