// The QOperator form: quantized layers become integer ops on 8-bit tensors (each
// OpQuantizer's emit_qoperator), pass-through nodes run on the 8-bit tensors themselves, and
// folded Relu/Clip disappear into the saturation of the layer's output.
//
// Before:                         After:
//   y = Conv(x, W, B)               x_q = QuantizeLinear(x, x_scale, x_zero_point)
//   r = Relu(y)                     r_q = QLinearConv(x_q, x_scale, x_zero_point, W_quantized, W_scale,
//   p = MaxPool(r)                                    W_zero_point, r_scale, r_zero_point, B_quantized)
//   z = Softmax(p)                  p_q = MaxPool(r_q)
//                                   p = DequantizeLinear(p_q, r_scale, r_zero_point)
//                                   z = Softmax(p)
//
// A quantized value gets a DequantizeLinear (under its own name) only where a float node, a
// subgraph or the graph outputs read it. A layer without a QOperator form (ConvTranspose,
// Gemm with transA) keeps its QDQ form: DequantizeLinear on its inputs, QuantizeLinear after.
#include "ir/graph_edit.h"
#include "passes/quantize/quant_writer.h"

namespace edge::pass::quant {
namespace {

class Emitter : public QOpEmitter {
 public:
  Emitter(QuantValues& v, const onnx::NodeProto& node, std::vector<QName> inputs, QName bias, QName output,
          std::vector<onnx::NodeProto>& out)
      : v_(v), node_(node), inputs_(std::move(inputs)), bias_(std::move(bias)), output_(std::move(output)), out_(out) {}
  const onnx::NodeProto& node() const override { return node_; }
  const QName& input(int i) const override { return inputs_.at(static_cast<size_t>(i)); }
  const QName& bias() const override { return bias_; }
  const QName& output() const override { return output_; }
  const Tensor& initializer(const std::string& name) const override { return v_.initializer(name); }
  std::string add_initializer(const Tensor& t, const std::string& base) override { return v_.add_initializer(t, base); }
  std::string fresh(const std::string& base) override { return v_.fresh(base); }
  void add_node(onnx::NodeProto n) override { out_.push_back(std::move(n)); }

 private:
  QuantValues& v_;
  const onnx::NodeProto& node_;
  std::vector<QName> inputs_;
  QName bias_, output_;
  std::vector<onnx::NodeProto>& out_;
};

onnx::NodeProto qdq_node(const char* op, const std::string& x, const QName& n, const std::string& y, int axis = -1) {
  onnx::NodeProto d;
  d.set_op_type(op);
  d.add_input(x);
  d.add_input(n.scale);
  if (!n.zero_point.empty()) d.add_input(n.zero_point);  // an int32 bias has none (0)
  d.add_output(y);
  if (axis >= 0) set_int_attribute(d, "axis", axis);
  return d;
}

struct QOpWriter {
  QuantValues& v;
  const QuantPlan& plan;
  const QuantGraph& g;
  std::vector<onnx::NodeProto> out;
  std::map<std::string, std::string> island_inputs;  // float-produced value -> its DQ(Q(x)) for QDQ islands

  const onnx::NodeProto& node(int i) const { return g.graph().node(i); }
  bool integer_form(int i) const {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    if (p.q.kind == NodeQuant::kPassThrough) return true;
    if (p.q.kind != NodeQuant::kCompute) return false;
    const LayerValues* lv = v.layer(i);
    return p.quantizer->has_qoperator_form(lv ? lv->node : node(i));
  }

  // Whether the float value of quantized value `t` must exist: read by a node that does not
  // take the 8-bit tensor, by a subgraph, or a graph output.
  bool needs_float(const std::string& t) const {
    if (g.is_graph_output(t) || g.read_by_subgraph(t)) return true;
    for (int c : g.index().consumers(t)) {
      const NodePlan& p = plan.nodes[static_cast<size_t>(c)];
      const bool takes_q = integer_form(c) && (p.q.kind == NodeQuant::kPassThrough ? node(c).input(0) == t : true);
      if (!takes_q) return true;
    }
    return false;
  }

  // The 8-bit value `t` of a quantized node is ready: add its float twin if needed.
  void produced(const std::string& t) {
    if (needs_float(t)) out.push_back(qdq_node("DequantizeLinear", v.names(t).q, v.names(t), t));
  }

  // A QDQ island's float view of activation `x`.
  std::string island_input(const std::string& x) {
    const TensorPlan& t = plan.tensors.at(x);
    if (t.producer >= 0) return x;  // its DequantizeLinear exists (needs_float)
    auto it = island_inputs.find(x);
    if (it != island_inputs.end()) return it->second;
    const std::string d = v.fresh(x + kDequantized);
    out.push_back(qdq_node("DequantizeLinear", v.names(x).q, v.names(x), d));
    return island_inputs[x] = d;
  }

  void compute(int i) {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    const LayerValues* lv = v.layer(i);
    const onnx::NodeProto& n = lv ? lv->node : node(i);
    const QName& y = v.names(p.output);
    if (integer_form(i)) {
      std::vector<QName> in(static_cast<size_t>(n.input_size()));
      for (int k : p.q.activations) in[static_cast<size_t>(k)] = v.names(n.input(k));
      if (lv && lv->weight) in[static_cast<size_t>(p.q.weight)] = lv->weight_names;
      Emitter e(v, n, std::move(in), lv && lv->bias ? lv->bias_names : QName{}, y, out);
      p.quantizer->emit_qoperator(e);
    } else {
      onnx::NodeProto f = n;
      for (int k : p.q.activations) f.set_input(k, island_input(n.input(k)));
      if (lv && lv->weight) {
        const std::string d = v.dequantized_name(n.input(p.q.weight), i);
        out.push_back(qdq_node("DequantizeLinear", lv->weight_names.q, lv->weight_names, d, lv->weight->axis));
        f.set_input(p.q.weight, d);
      }
      if (p.bias_add >= 0) fail_internal("quantize: a folded bias on a layer without QOperator form");
      if (lv && lv->bias) {
        const std::string d = v.dequantized_name(n.input(p.q.bias), i);
        const bool per_channel = lv->weight && lv->weight->axis >= 0;
        out.push_back(qdq_node("DequantizeLinear", lv->bias_names.q, lv->bias_names, d, per_channel ? 0 : -1));
        f.set_input(p.q.bias, d);
      }
      std::string result = v.fresh(p.output + kFloat);
      if (p.folded >= 0) {  // the activation runs too, in float
        out.push_back(f);
        onnx::NodeProto a = node(p.folded);
        a.set_output(0, result);
        out.push_back(std::move(a));
      } else {
        f.set_output(0, result);
        out.push_back(std::move(f));
      }
      out.push_back(qdq_node("QuantizeLinear", result, y, y.q));
    }
    produced(p.output);
  }

  void pass_through(int i) {
    onnx::NodeProto n = node(i);
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    n.set_input(0, v.names(n.input(0)).q);
    n.set_output(0, v.names(p.output).q);
    out.push_back(std::move(n));
    produced(p.output);
  }

  void float_node(int i) {
    const onnx::NodeProto& n = node(i);
    out.push_back(n);
    for (const auto& o : n.output()) {
      auto it = plan.tensors.find(o);
      if (!o.empty() && it != plan.tensors.end() && !it->second.constant) {
        out.push_back(qdq_node("QuantizeLinear", o, v.names(o), v.names(o).q));
      }
    }
  }
};

}  // namespace

Model write_qoperator(QuantValues& v) {
  const QuantPlan& plan = v.plan();
  QOpWriter w{v, plan, v.graph(), {}, {}};
  for (const auto& [name, t] : plan.tensors) {  // graph inputs read by quantized layers
    if (t.producer < 0 && !t.constant && v.graph().index().producer(name) < 0) {
      w.out.push_back(qdq_node("QuantizeLinear", name, v.names(name), v.names(name).q));
    }
  }
  bool ms = false;
  for (int i = 0; i < v.graph().graph().node_size(); ++i) {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    const size_t before = w.out.size();
    switch (p.q.kind) {
      case NodeQuant::kCompute:
        w.compute(i);
        break;
      case NodeQuant::kPassThrough:
        w.pass_through(i);
        break;
      case NodeQuant::kActivation:  // folded: its clamp is the layer's saturation
      case NodeQuant::kBias:        // folded: the layer's int32 bias
        break;
      case NodeQuant::kFloat:
        w.float_node(i);
        break;
    }
    for (size_t k = before; k < w.out.size(); ++k) ms = ms || w.out[k].domain() == kMsDomain;
  }
  Model m = v.graph().model();
  finish_graph(m, std::move(w.out), v);
  if (ms && m.opset(kMsDomain) < 0) {
    auto* op = m.proto().add_opset_import();
    op->set_domain(kMsDomain);
    op->set_version(1);
  }
  return m;
}

}  // namespace edge::pass::quant
