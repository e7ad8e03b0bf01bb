#include "passes/quantize/quant_graph.h"

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"

namespace edge::pass::quant {

QuantGraph::QuantGraph(const Model& model)
    : model_(&model), index_(model.graph()), opset_(model.opset()), fed_(fed_inputs(model)) {
  for (const auto& o : model.graph().output()) outputs_.insert(o.name());
  sub_reads_ = subgraph_reads(model.graph());
}

const onnx::TensorProto* QuantGraph::initializer(const std::string& name) const {
  if (name.empty() || fed_.count(name)) return nullptr;
  return index_.initializer(name);
}

int QuantGraph::constant_kind(const std::string& name) const {
  if (initializer(name)) return 1;
  if (name.empty() || fed_.count(name)) return 0;
  const int p = index_.producer(name);
  if (p < 0) return 0;
  const auto& n = graph().node(p);
  if (!is_onnx_op(n) || n.op_type() != "Constant" || !NodeAttrs(n).has("value")) return 0;
  return 2;
}

std::optional<Tensor> QuantGraph::constant(const std::string& name) const {
  switch (constant_kind(name)) {
    case 1:
      return read_initializer(*model_, *initializer(name));
    case 2:
      return NodeAttrs(graph().node(index_.producer(name))).get_tensor("value");
    default:
      return std::nullopt;
  }
}

bool QuantGraph::is_float(const std::string& name) const {
  if (name.empty()) return false;
  if (const auto* t = index_.initializer(name)) return t->data_type() == onnx::TensorProto::FLOAT;
  if (constant_kind(name) == 2) return constant(name)->dtype() == DType::kFloat;
  return index_.elem_type(name) == onnx::TensorProto::FLOAT;
}

std::optional<Shape> QuantGraph::shape(const std::string& name) const {
  Shape s;
  if (index_.static_shape(name, &s)) return s;
  if (constant_kind(name) == 2) return constant(name)->shape();
  return std::nullopt;
}

}  // namespace edge::pass::quant
