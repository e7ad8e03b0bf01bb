#include "ir/node_attrs.h"

#include "ir/tensor_proto.h"

namespace edge {

std::string describe_node(const onnx::NodeProto& node) {
  std::string op = "(" + (node.domain().empty() ? "" : node.domain() + ".") + node.op_type() + ")";
  if (!node.name().empty()) return "node '" + node.name() + "' " + op;
  // Unnamed nodes are identified by their first output.
  for (const auto& out : node.output()) {
    if (!out.empty()) return "node " + op + " producing '" + out + "'";
  }
  return "unnamed node " + op;
}

const onnx::AttributeProto* NodeAttrs::find(const std::string& name) const {
  for (const auto& a : node_->attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

const onnx::AttributeProto& NodeAttrs::expect(const std::string& name,
                                               onnx::AttributeProto::AttributeType t) const {
  const auto* a = find(name);
  if (!a) fail(describe_node(*node_) + ": missing required attribute '" + name + "'");
  if (a->type() != t && a->type() != onnx::AttributeProto::UNDEFINED) {
    fail(describe_node(*node_) + ": attribute '" + name + "' has the wrong type");
  }
  return *a;
}

int64_t NodeAttrs::get_int(const std::string& name, int64_t def) const {
  return has(name) ? expect(name, onnx::AttributeProto::INT).i() : def;
}
int64_t NodeAttrs::require_int(const std::string& name) const {
  return expect(name, onnx::AttributeProto::INT).i();
}
float NodeAttrs::get_float(const std::string& name, float def) const {
  return has(name) ? expect(name, onnx::AttributeProto::FLOAT).f() : def;
}
std::string NodeAttrs::get_string(const std::string& name, const std::string& def) const {
  return has(name) ? expect(name, onnx::AttributeProto::STRING).s() : def;
}
std::vector<int64_t> NodeAttrs::get_ints(const std::string& name, std::vector<int64_t> def) const {
  if (!has(name)) return def;
  const auto& a = expect(name, onnx::AttributeProto::INTS);
  return {a.ints().begin(), a.ints().end()};
}
std::vector<float> NodeAttrs::get_floats(const std::string& name, std::vector<float> def) const {
  if (!has(name)) return def;
  const auto& a = expect(name, onnx::AttributeProto::FLOATS);
  return {a.floats().begin(), a.floats().end()};
}
std::vector<std::string> NodeAttrs::get_strings(const std::string& name) const {
  if (!has(name)) return {};
  const auto& a = expect(name, onnx::AttributeProto::STRINGS);
  return {a.strings().begin(), a.strings().end()};
}
Tensor NodeAttrs::get_tensor(const std::string& name) const {
  const auto& a = expect(name, onnx::AttributeProto::TENSOR);
  return tensor_from_proto(a.t(), {}, describe_node(*node_) + " attribute '" + name + "'");
}
const onnx::GraphProto* NodeAttrs::get_graph(const std::string& name) const {
  const auto* a = find(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

}  // namespace edge
