#include "train/grad_kernel.h"

#include <algorithm>

#include "ir/status.h"
#include "train/grad_util.h"

namespace edge::train {

const std::string& GradContext::where() const {
  if (where_.empty()) where_ = node ? describe_node(*node) : std::string("<node>");
  return where_;
}

const Tensor& GradContext::input(int i) const {
  if (!has_input(i)) fail(where() + ": backward needs input " + std::to_string(i) + ", which is omitted");
  return *inputs[static_cast<size_t>(i)];
}

const Tensor& GradContext::output(int i) const {
  if (i >= num_outputs() || !outputs[static_cast<size_t>(i)]) {
    fail(where() + ": backward needs output " + std::to_string(i) + ", which is not kept");
  }
  return *outputs[static_cast<size_t>(i)];
}

const Tensor* GradContext::output_grad(int i) const {
  return i < static_cast<int>(output_grads.size()) ? output_grads[static_cast<size_t>(i)] : nullptr;
}

const Tensor& GradContext::output_grad_or_zero(int i) {
  if (const Tensor* g = output_grad(i)) return *g;
  zeros_.push_back(zeros_f32(output(i).shape()));
  return zeros_.back();
}

Tensor& GradContext::grad(int i) {
  set_grad(i, zeros_f32(input(i).shape()));
  return input_grads[static_cast<size_t>(i)];
}

void GradContext::set_grad(int i, Tensor g) {
  if (g.dtype() != DType::kFloat || g.shape() != input(i).shape()) {
    fail_internal(where() + ": gradient of input " + std::to_string(i) + " is " + g.describe() + ", input is " +
                  input(i).describe());
  }
  if (input_grads.size() < inputs.size()) input_grads.resize(inputs.size());
  input_grads[static_cast<size_t>(i)] = std::move(g);
}

bool GradDef::is_differentiable(int input) const {
  return differentiable.empty() || std::count(differentiable.begin(), differentiable.end(), input) > 0;
}

void GradRegistry::add(GradDef def) {
  if (find(def.domain, def.op)) fail_internal("backward kernel for " + def.op + " registered twice");
  defs_.push_back(std::move(def));
}

const GradDef* GradRegistry::find(const std::string& domain, const std::string& op) const {
  const std::string d = domain == "ai.onnx" ? "" : domain;
  for (auto it = defs_.rbegin(); it != defs_.rend(); ++it) {
    if (it->domain == d && it->op == op) return &*it;
  }
  return nullptr;
}

const GradRegistry& GradRegistry::builtin() {
  static const GradRegistry reg = [] {
    GradRegistry r;
    register_elementwise_grads(r);
    register_activation_grads(r);
    register_gemm_grads(r);
    register_conv_grads(r);
    register_matmul_grads(r);
    register_pool_grads(r);
    register_shape_grads(r);
    register_math_grads(r);
    register_qdq_grads(r);
    register_softmax_grads(r);
    register_shuffle_grads(r);
    register_index_grads(r);
    register_reduce_grads(r);
    register_norm_grads(r);
    register_variadic_grads(r);
    return r;
  }();
  return reg;
}

}  // namespace edge::train
