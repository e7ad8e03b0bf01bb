// QuantValues: names, parameters and integer constants shared by the QDQ and QOperator
// writers (quant_writer.h).
#include <algorithm>

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "passes/quantize/quant_writer.h"

namespace edge::pass::quant {

QuantValues::QuantValues(const QuantGraph& g, const QuantPlan& plan, std::map<std::string, QParams> params)
    : g_(g), plan_(plan), params_(std::move(params)), taken_(all_names(g.graph())) {
  // Scale per parameter source; one zero point initializer per distinct zero point (most
  // activations share one: 0 after ReLU); then the 8-bit tensor of every value.
  std::map<std::string, QName> by_source;
  std::map<std::pair<QType, int32_t>, std::string> zero_points;
  for (const auto& [name, t] : plan.tensors) {
    if (t.source != name) continue;
    const QParams& p = params_.at(name);
    QName n;
    n.scale = add_initializer(scale_tensor(p), name + kScale);
    std::string& zp = zero_points[{p.type, p.zero_point}];
    if (zp.empty()) {
      zp = add_initializer(zero_point_tensor(p),
                           std::string("zero_point_") + qtype_name(p.type) + "_" + std::to_string(p.zero_point));
    }
    n.zero_point = zp;
    by_source[name] = n;
  }
  for (const auto& [name, t] : plan.tensors) {
    QName n = by_source.at(t.source);
    if (t.constant) {
      n.q = add_initializer(quantize_tensor(*g.constant(name), params_.at(name)), name + kQuantized);
    } else {
      n.q = fresh(name + kQuantized);
    }
    names_[name] = n;
  }
  for (int i : plan.order) {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    if (p.q.kind == NodeQuant::kCompute && (p.q.weight >= 0 || p.q.bias >= 0 || p.bias_add >= 0)) prepare_layer(i);
  }
}

void QuantValues::prepare_layer(int i) {
  const NodePlan& p = plan_.nodes[static_cast<size_t>(i)];
  LayerValues lv;
  lv.node = g_.graph().node(i);
  std::optional<Tensor> w, b;
  if (p.q.weight >= 0) w = g_.constant(lv.node.input(p.q.weight))->clone();
  std::string bias_name;  // the bias constant: the node's bias input or a folded Add's operand
  if (p.q.bias >= 0) bias_name = lv.node.input(p.q.bias);
  if (p.bias_add >= 0) {
    const NodePlan& add = plan_.nodes[static_cast<size_t>(p.bias_add)];
    bias_name = g_.graph().node(p.bias_add).input(add.bias_input);
  }
  if (!bias_name.empty()) b = g_.constant(bias_name)->clone();
  p.quantizer->prepare(lv.node, w ? &*w : nullptr, b ? &*b : nullptr);
  if (w) {
    const std::string& base = lv.node.input(p.q.weight);
    lv.weight = quantize_weight(*w, p.weights.per_channel ? p.q.weight_axis : -1, p.weights);
    lv.weight_names.q = add_initializer(lv.weight->values, base + kQuantized);
    lv.weight_names.scale = add_initializer(lv.weight->scale(), base + kScale);
    lv.weight_names.zero_point = add_initializer(lv.weight->zero_point(), base + kZeroPoint);
  }
  if (b) {
    const std::string& base = bias_name;
    const float in_scale = params_.at(lv.node.input(p.q.activations.at(0))).scale;
    const std::vector<float> w_scales = lv.weight ? lv.weight->scales : std::vector<float>{1.f};
    lv.bias = quantize_bias(*b, p.q.channels, in_scale, w_scales);
    saturated_bias_ += lv.bias->saturated;
    // A folded bias Add reads the bias in the broadcasting shape of its QDQ form.
    const bool add_shape = p.bias_add >= 0 && plan_.format == Format::kQdq;
    lv.bias_names.q = add_initializer(
        add_shape ? lv.bias->values.reshaped(plan_.nodes[static_cast<size_t>(p.bias_add)].bias_shape) : lv.bias->values,
        base + kQuantized);
    // Zero point 0 (int32): the optional zero point input is left out.
    if (lv.weight && lv.weight->axis >= 0) {
      lv.bias_names.scale = add_initializer(lv.bias->scale(), base + kScale);
    } else {  // one weight scale: one bias scale (DequantizeLinear without axis, any opset)
      lv.bias_names.scale = add_initializer(Tensor::scalar<float>(lv.bias->scales.at(0)), base + kScale);
    }
  }
  layers_.emplace(i, std::move(lv));
}

std::string QuantValues::dequantized_name(const std::string& init, int node) {
  const auto& readers = g_.index().consumers(init);
  const bool only = g_.initializer(init) && readers.size() == 1 && readers[0] == node && !g_.is_graph_output(init) &&
                    !g_.read_by_subgraph(init);
  return only ? init : fresh(init + kDequantized);
}

const LayerValues* QuantValues::layer(int node) const {
  auto it = layers_.find(node);
  return it == layers_.end() ? nullptr : &it->second;
}

const Tensor& QuantValues::initializer(const std::string& name) const {
  auto it = init_index_.find(name);
  if (it == init_index_.end()) fail_internal("quantize: '" + name + "' is not an initializer of the pass");
  return inits_[it->second].second;
}

std::string QuantValues::add_initializer(const Tensor& t, const std::string& base) {
  std::string name = fresh(base);
  init_index_[name] = inits_.size();
  inits_.emplace_back(name, t);
  return name;
}

void finish_graph(Model& m, std::vector<onnx::NodeProto> nodes, const QuantValues& v) {
  auto& g = m.graph();
  g.clear_node();
  for (auto& n : nodes) *g.add_node() = std::move(n);
  std::set<std::string> reads = all_reads(g);
  for (const auto& o : g.output()) reads.insert(o.name());
  // Constant nodes left without readers (Clip bounds of a dropped Clip, quantized operands).
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<bool> remove(static_cast<size_t>(g.node_size()), false);
    for (int i = 0; i < g.node_size(); ++i) {
      const auto& n = g.node(i);
      if (is_onnx_op(n) && n.op_type() == "Constant" && !reads.count(n.output(0)))
        remove[static_cast<size_t>(i)] = changed = true;
    }
    if (changed) {
      erase_nodes(g, remove);
      reads = all_reads(g);
      for (const auto& o : g.output()) reads.insert(o.name());
    }
  }
  // Float initializers whose name a DequantizeLinear now produces are replaced.
  std::set<std::string> produced;
  for (const auto& n : g.node()) produced.insert(n.output().begin(), n.output().end());
  std::set<std::string> replaced;
  for (const auto& init : g.initializer()) {
    if (produced.count(init.name())) replaced.insert(init.name());
  }
  erase_initializers(g, replaced);
  for (const auto& [name, t] : v.initializers()) {
    if (reads.count(name)) add_initializer(m, t, name);
  }
  // Initializers the float graph's nodes read that nothing reads any more: float weights,
  // biases and constant operands of quantized layers, bounds of dropped Clips.
  std::set<std::string> candidates;
  for (const auto& n : v.graph().graph().node()) {
    for (const auto& in : n.input()) {
      if (v.graph().initializer(in)) candidates.insert(in);
    }
  }
  erase_unused_initializers(g, candidates);
  std::set<std::string> live;
  for (const auto& i : g.input()) live.insert(i.name());
  for (const auto& n : g.node()) live.insert(n.output().begin(), n.output().end());
  std::set<std::string> stale;
  for (const auto& vi : g.value_info()) {
    if (!live.count(vi.name())) stale.insert(vi.name());
  }
  erase_value_infos(g, stale);
}

}  // namespace edge::pass::quant
