#include "train/params.h"

#include <map>
#include <optional>
#include <regex>
#include <set>

#include "ir/status.h"

namespace edge::train {
namespace {
// Training updates float32 initializers (the optimizer state and the written result are float32).
bool is_float(int32_t t) { return t == onnx::TensorProto::FLOAT; }
}  // namespace

ParamSelection select_params(const Model& model, const std::vector<std::string>& patterns, const GradRegistry& grads) {
  const auto& g = model.graph();
  ParamSelection sel;
  if (patterns.empty()) {
    // Per initializer: reached through a differentiable input, and the ops that read it.
    std::map<std::string, bool> reached;
    std::map<std::string, std::set<std::string>> readers;
    for (const auto& init : g.initializer()) {
      if (is_float(init.data_type())) reached[init.name()] = false;
    }
    for (const auto& node : g.node()) {
      const GradDef* def = grads.find(node.domain(), node.op_type());
      for (int i = 0; i < node.input_size(); ++i) {
        auto it = reached.find(node.input(i));
        if (it == reached.end()) continue;
        readers[node.input(i)].insert(node.op_type());
        if (def && def->is_differentiable(i)) it->second = true;
      }
    }
    for (const auto& init : g.initializer()) {
      auto it = reached.find(init.name());
      if (it == reached.end()) continue;
      if (it->second) {
        sel.trainable.push_back(init.name());
        continue;
      }
      std::string why;
      for (const auto& op : readers[init.name()]) why += (why.empty() ? "" : ", ") + op;
      sel.frozen.emplace_back(init.name(), why.empty() ? std::string("read by no node")
                                                       : "a gradient cannot reach it (read by " + why + ")");
    }
    return sel;
  }
  std::vector<bool> used(patterns.size(), false);
  std::vector<std::optional<std::regex>> res;
  for (const auto& p : patterns) {
    if (p.rfind("re:", 0) != 0) {
      res.emplace_back();
      continue;
    }
    try {
      res.emplace_back(std::regex(p.substr(3), std::regex::ECMAScript));
    } catch (const std::regex_error& e) {
      fail("trainable parameters: bad regex '" + p + "': " + e.what());
    }
  }
  for (const auto& init : g.initializer()) {
    bool match = false;
    for (size_t k = 0; k < patterns.size(); ++k) {
      const bool m = res[k] ? std::regex_match(init.name(), *res[k]) : init.name() == patterns[k];
      if (!m) continue;
      used[k] = true;
      if (!res[k] && !is_float(init.data_type())) {
        fail("trainable parameters: initializer '" + init.name() + "' is not float32");
      }
      match = match || is_float(init.data_type());
    }
    if (match) sel.trainable.push_back(init.name());
  }
  for (size_t k = 0; k < patterns.size(); ++k) {
    if (!used[k]) fail("trainable parameters: '" + patterns[k] + "' matches no initializer of " + model.name());
  }
  return sel;
}

std::vector<uint8_t> zero_mask(const Tensor& w) {
  std::vector<uint8_t> mask(static_cast<size_t>(w.numel()));
  for (int64_t i = 0; i < w.numel(); ++i) mask[static_cast<size_t>(i)] = w.get_double(i) != 0.0 ? 1 : 0;
  return mask;
}

void apply_mask(Tensor& w, const std::vector<uint8_t>& mask) {
  if (static_cast<int64_t>(mask.size()) != w.numel()) fail_internal("mask of " + std::to_string(mask.size()) +
                                                                    " elements for " + w.describe());
  float* p = w.data<float>();
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) p[i] = 0.f;
  }
}

}  // namespace edge::train
