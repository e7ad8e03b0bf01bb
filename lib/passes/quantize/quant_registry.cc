// The quantizer registry (explicit registration: one call per quant_<op>.cc) and the small
// helpers the quantizers share.
#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {

const QuantizerRegistry& QuantizerRegistry::builtin() {
  static const QuantizerRegistry r = [] {
    QuantizerRegistry reg;
    register_conv_quantizer(reg);
    register_conv_transpose_quantizer(reg);
    register_gemm_quantizer(reg);
    register_matmul_quantizer(reg);
    register_add_quantizer(reg);
    register_mul_quantizer(reg);
    register_concat_quantizer(reg);
    register_pool_quantizers(reg);
    register_pass_through_quantizers(reg);
    register_activation_quantizers(reg);
    return reg;
  }();
  return r;
}

void QuantizerRegistry::add(const std::string& op_type, std::shared_ptr<const OpQuantizer> q) {
  if (!by_op_.emplace(op_type, std::move(q)).second) fail_internal("two quantizers for op " + op_type);
}

const OpQuantizer* QuantizerRegistry::find(const onnx::NodeProto& node) const {
  if (!is_onnx_op(node)) return nullptr;
  auto it = by_op_.find(node.op_type());
  return it == by_op_.end() ? nullptr : it->second.get();
}

std::vector<std::string> QuantizerRegistry::op_types() const {
  std::vector<std::string> out;
  for (const auto& [op, q] : by_op_) out.push_back(op);
  return out;
}

std::string float_input_problem(const onnx::NodeProto& node, int i, const QuantGraph& g) {
  if (i >= node.input_size() || node.input(i).empty()) return "input " + std::to_string(i) + " is absent";
  const std::string& name = node.input(i);
  if (g.is_float(name)) return "";
  const int32_t t = g.index().elem_type(name);
  if (t == 0) return "the type of input '" + name + "' is unknown";
  return "input '" + name + "' is " + dtype_name(dtype_from_onnx(t)) + ", not float32";
}

NodeQuant analyze_weighted(const onnx::NodeProto& node, const QuantGraph& g) {
  const OpTraits& t = op_traits(node);
  if (t.weight_input < 0) fail_internal(describe_node(node) + " has no weight input in op_traits");
  if (auto why = float_input_problem(node, 0, g); !why.empty()) return NodeQuant::float_op(why);
  if (auto why = float_input_problem(node, t.weight_input, g); !why.empty()) return NodeQuant::float_op(why);
  const std::string& w = node.input(t.weight_input);
  if (!g.initializer(w)) {
    return NodeQuant::float_op("weight '" + w + "' is not a constant initializer (run fold-constants first)");
  }
  const auto wshape = g.shape(w);
  const auto layout = wshape ? weight_channels(node, *wshape) : std::nullopt;
  if (!layout) return NodeQuant::float_op("weight '" + w + "' has no output-channel layout this op allows");
  NodeQuant q;
  q.kind = NodeQuant::kCompute;
  q.activations = {0};
  q.weight = t.weight_input;
  q.weight_axis = layout->axis;
  q.channels = layout->channels;
  const bool has_bias = t.bias_input >= 0 && node.input_size() > t.bias_input && !node.input(t.bias_input).empty();
  if (has_bias) {
    const std::string& b = node.input(t.bias_input);
    if (auto why = float_input_problem(node, t.bias_input, g); !why.empty()) return NodeQuant::float_op(why);
    if (!g.initializer(b)) return NodeQuant::float_op("bias '" + b + "' is not a constant initializer");
    const auto bshape = g.shape(b);
    int64_t n = 1;
    for (int64_t d : bshape ? *bshape : Shape{-1}) n = sat_mul(n, d);
    if (n != 1 && n != layout->channels) {
      return NodeQuant::float_op("bias '" + b + "' does not hold one value per output channel");
    }
    q.bias = t.bias_input;
  }
  return q;
}

NodeQuant analyze_all_activations(const onnx::NodeProto& node, const QuantGraph& g) {
  NodeQuant q;
  q.kind = NodeQuant::kCompute;
  for (int i = 0; i < node.input_size(); ++i) {
    if (auto why = float_input_problem(node, i, g); !why.empty()) return NodeQuant::float_op(why);
    q.activations.push_back(i);
  }
  if (q.activations.empty()) return NodeQuant::float_op("no inputs");
  return q;
}

onnx::NodeProto make_node(const std::string& op, const std::string& domain, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const onnx::NodeProto& like,
                          const std::string& suffix) {
  onnx::NodeProto n;
  n.set_op_type(op);
  if (!domain.empty()) n.set_domain(domain);
  if (!like.name().empty()) n.set_name(like.name() + suffix);
  for (const auto& i : inputs) n.add_input(i);
  for (const auto& o : outputs) n.add_output(o);
  return n;
}

void copy_attributes(const onnx::NodeProto& from, onnx::NodeProto& to, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (const auto* a = NodeAttrs(from).find(name)) *to.add_attribute() = *a;
  }
}

void set_int_attribute(onnx::NodeProto& node, const std::string& name, int64_t v) {
  for (auto& a : *node.mutable_attribute()) {
    if (a.name() == name) {
      a.set_type(onnx::AttributeProto::INT);
      a.set_i(v);
      return;
    }
  }
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

}  // namespace edge::pass::quant
