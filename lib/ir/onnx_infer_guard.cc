#include "ir/onnx_infer_guard.h"

#include <set>

namespace edge {

namespace {

bool is_empty_tensor_type(const onnx::TypeProto& t) {
  return t.has_tensor_type() && t.tensor_type().elem_type() == 0 && !t.tensor_type().has_shape();
}

// One graph of the nesting stack: which names it defines and which already have a type.
struct Level {
  onnx::GraphProto* g = nullptr;
  std::set<std::string> defined, typed;
};

Level make_level(onnx::GraphProto& g) {
  Level l;
  l.g = &g;
  for (const auto& v : g.input()) {
    l.defined.insert(v.name());
    if (v.has_type()) l.typed.insert(v.name());
  }
  for (const auto& t : g.initializer()) {
    l.defined.insert(t.name());
    l.typed.insert(t.name());
  }
  for (const auto& n : g.node()) {
    for (const auto& o : n.output()) l.defined.insert(o);
  }
  for (const auto* list : {&g.value_info(), &g.output()}) {
    for (const auto& v : *list) {
      if (v.has_type()) l.typed.insert(v.name());
    }
  }
  return l;
}

}  // namespace

ShapeInputPlaceholders::ShapeInputPlaceholders(onnx::GraphProto& root) {
  std::vector<Level> stack;
  auto visit = [&](auto&& self, onnx::GraphProto& g) -> void {
    stack.push_back(make_level(g));
    for (auto& n : *g.mutable_node()) {
      const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
      if (onnx_domain && n.op_type() == "Shape" && n.input_size() > 0 && !n.input(0).empty()) {
        const std::string& v = n.input(0);
        for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
          if (!it->defined.count(v)) continue;
          if (!it->typed.insert(v).second) break;  // already typed (or given a placeholder)
          onnx::ValueInfoProto* input = nullptr;
          for (auto& in : *it->g->mutable_input()) {
            if (in.name() == v) input = &in;
          }
          if (input) {
            input->mutable_type()->mutable_tensor_type();
            inputs_.push_back(input);
          } else {
            auto* vi = it->g->add_value_info();
            vi->set_name(v);
            vi->mutable_type()->mutable_tensor_type();
            value_infos_.emplace_back(it->g, v);
          }
          break;
        }
      }
      for (auto& a : *n.mutable_attribute()) {
        if (a.has_g()) self(self, *a.mutable_g());
        for (auto& sg : *a.mutable_graphs()) self(self, sg);
      }
    }
    stack.pop_back();
  };
  visit(visit, root);
}

void ShapeInputPlaceholders::remove() {
  for (auto* in : inputs_) {
    if (is_empty_tensor_type(in->type())) in->clear_type();
  }
  for (const auto& [g, name] : value_infos_) {
    auto* list = g->mutable_value_info();
    for (int i = 0; i < list->size(); ++i) {
      if (list->Get(i).name() == name && is_empty_tensor_type(list->Get(i).type())) {
        list->DeleteSubrange(i, 1);
        break;
      }
    }
  }
  inputs_.clear();
  value_infos_.clear();
}

}  // namespace edge
