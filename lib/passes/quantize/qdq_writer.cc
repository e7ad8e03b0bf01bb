// The QDQ form (what ONNX Runtime and TensorRT consume, and edge-run fuses into integer
// kernels). The float nodes stay; quantization is explicit around them.
//
// Before:                         After:
//   y = Conv(x, W, B)               x_q  = QuantizeLinear(x, x_scale, x_zero_point)
//   r = Relu(y)                     x_dq = DequantizeLinear(x_q, x_scale, x_zero_point)
//   p = MaxPool(r)                  W_dq = DequantizeLinear(W_quantized, W_scale, W_zero_point, axis=0)
//                                   B_dq = DequantizeLinear(B_quantized, B_scale, B_zero_point, axis=0)
//                                   r_float = Conv(x_dq, W_dq, B_dq)
//                                   r_q = QuantizeLinear(r_float, r_scale, r_zero_point)
//                                   r = DequantizeLinear(r_q, r_scale, r_zero_point)
//                                   p_float = MaxPool(r)
//                                   p_q = QuantizeLinear(p_float, r_scale, r_zero_point)
//                                   p = DequantizeLinear(p_q, r_scale, r_zero_point)
//
// A folded Relu or Clip goes when the saturation of its QuantizeLinear is the same clamp
// (always for Relu: its range starts at 0, the grid's lowest value; a Clip whose bounds lie
// outside the calibrated range): Q(Relu(y)) == Q(y) for every y, so the layer writes the
// activation's value directly, as ONNX Runtime's quantizer does with removable activations.
// A LeakyRelu, or a Clip that acts inside the grid, stays between the layer and its Q.
//
// A value produced by a quantized node keeps its name as the DequantizeLinear output, so
// every reader (float ones and graph outputs included) sees the 8-bit value, as in the
// QOperator form. A value from a float node, a graph input or a constant gets its pair
// under new names, read only by the quantized nodes.
#include <cmath>

#include "ir/graph_edit.h"
#include "passes/quantize/quant_writer.h"

namespace edge::pass::quant {
namespace {

struct QdqWriter {
  QuantValues& v;
  const QuantPlan& plan;
  std::vector<onnx::NodeProto> out;
  std::map<std::string, std::string> dequantized;  // float-produced value -> its DequantizeLinear output
  std::map<std::string, std::string> written_as;   // input of a dropped activation -> its output

  // Whether folded activation `a` (Relu or Clip) is the saturation of its output's
  // QuantizeLinear: its lower bound quantizes to the grid's lowest value and its upper bound
  // to the highest (computed as QuantizeLinear does, in float32), so everything the
  // activation clamps saturates the same way.
  bool implied_by_saturation(int a) const {
    const auto& node = v.graph().graph().node(a);
    if (node.op_type() != "Relu" && node.op_type() != "Clip") return false;
    const std::string& out = node.output(0);
    const TensorPlan& t = plan.tensors.at(out);
    const QParams& p = v.params(out);
    const auto level = [&](double bound) {
      return std::nearbyint(static_cast<float>(bound) / p.scale) + static_cast<float>(p.zero_point);
    };
    const bool low = std::isinf(t.lo) || level(t.lo) <= static_cast<float>(qmin(p.type));
    const bool high = std::isinf(t.hi) || level(t.hi) >= static_cast<float>(qmax(p.type));
    return low && high;
  }

  // DequantizeLinear; without zero point input when `n` has none or `zero` says it is 0.
  onnx::NodeProto dq(const std::string& q, const QName& n, const std::string& y, int axis = -1, bool zero = false) {
    onnx::NodeProto d;
    d.set_op_type("DequantizeLinear");
    d.add_input(q);
    d.add_input(n.scale);
    if (!zero && !n.zero_point.empty()) d.add_input(n.zero_point);
    d.add_output(y);
    if (axis >= 0) set_int_attribute(d, "axis", axis);
    return d;
  }
  onnx::NodeProto qn(const std::string& x, const QName& n) {
    onnx::NodeProto d;
    d.set_op_type("QuantizeLinear");
    d.add_input(x);
    d.add_input(n.scale);
    if (!n.zero_point.empty()) d.add_input(n.zero_point);
    d.add_output(n.q);
    return d;
  }

  // The names of 8-bit value `x` for its QuantizeLinear/DequantizeLinear. The zero point
  // stays even when it is the default (uint8 0): ONNX Runtime 1.30's QDQ fusion then names two
  // nodes alike and refuses the model.
  const QName& act(const std::string& x) const { return v.names(x); }

  // The axis of a bias's DequantizeLinear: 0 with per-channel weights, none otherwise.
  static int per_axis(const LayerValues& lv) { return lv.weight && lv.weight->axis >= 0 ? 0 : -1; }

  // Q/DQ pair for a value whose producer is float (or an input; a constant operand has its
  // quantized initializer): readers that are quantized nodes switch to the DequantizeLinear
  // output.
  void pair_for_float_value(const std::string& x, std::vector<onnx::NodeProto>& to) {
    const QName& n = act(x);
    const std::string d = v.fresh(x + kDequantized);
    if (!plan.tensors.at(x).constant) to.push_back(qn(x, n));
    to.push_back(dq(n.q, n, d));
    dequantized[x] = d;
  }

  void node(int i) {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    const LayerValues* lv = v.layer(i);
    if (p.q.kind == NodeQuant::kActivation && implied_by_saturation(i)) return;  // see written_as
    onnx::NodeProto n = lv ? lv->node : v.graph().graph().node(i);
    if (p.q.kind == NodeQuant::kCompute && p.folded >= 0 && implied_by_saturation(p.folded)) {
      const auto& act = v.graph().graph().node(p.folded);
      written_as[act.input(0)] = act.output(0);  // the layer (or its folded bias Add) writes it
    }
    if (p.q.kind == NodeQuant::kPassThrough) {  // on a float-produced input: its Q/DQ pair
      auto it = dequantized.find(n.input(0));
      if (it != dequantized.end()) n.set_input(0, it->second);
    }
    if (p.q.kind == NodeQuant::kCompute) {
      for (int k : p.q.activations) {
        auto it = dequantized.find(n.input(k));
        if (it != dequantized.end()) n.set_input(k, it->second);
      }
      if (lv && lv->weight) {
        const std::string d = v.dequantized_name(n.input(p.q.weight), i);
        out.push_back(dq(lv->weight_names.q, lv->weight_names, d, lv->weight->axis, lv->weight->symmetric()));
        n.set_input(p.q.weight, d);
      }
      if (lv && lv->bias && p.q.bias >= 0) {
        const std::string d = v.dequantized_name(n.input(p.q.bias), i);
        out.push_back(dq(lv->bias_names.q, lv->bias_names, d, per_axis(*lv)));
        n.set_input(p.q.bias, d);
      }
    }
    if (p.q.kind == NodeQuant::kBias) {  // the folded Add reads the int32 bias, in its own shape
      const LayerValues& lv_add = *v.layer(p.folded_into);
      const std::string b = n.input(p.bias_input);
      std::string q = lv_add.bias_names.q;
      if (v.initializer(q).shape() != p.bias_shape) q = v.add_initializer(v.initializer(q).reshaped(p.bias_shape), q);
      const std::string d = v.dequantized_name(b, i);
      out.push_back(dq(q, lv_add.bias_names, d, per_axis(lv_add)));
      n.set_input(p.bias_input, d);
    }
    // Values this node produces that are 8-bit.
    std::vector<onnx::NodeProto> after;
    for (int k = 0; k < n.output_size(); ++k) {
      if (auto w = written_as.find(n.output(k)); w != written_as.end()) n.set_output(k, w->second);
      const std::string o = n.output(k);
      auto it = plan.tensors.find(o);
      if (o.empty() || it == plan.tensors.end()) continue;
      if (it->second.producer < 0) {  // a float node's output that quantized nodes read
        pair_for_float_value(o, after);
        continue;
      }
      const QName& names = act(o);
      const std::string pre = v.fresh(o + kFloat);
      n.set_output(k, pre);
      after.push_back(qn(pre, names));
      after.push_back(dq(names.q, names, o));
    }
    out.push_back(std::move(n));
    for (auto& a : after) out.push_back(std::move(a));
  }
};

}  // namespace

Model write_qdq(QuantValues& v) {
  const QuantPlan& plan = v.plan();
  QdqWriter w{v, plan, {}, {}, {}};
  const auto& index = v.graph().index();
  // Graph inputs and constant operands first.
  for (const auto& [name, t] : plan.tensors) {
    if (t.producer < 0 && index.producer(name) < 0) w.pair_for_float_value(name, w.out);
  }
  // Values of float nodes (Constant nodes too) get their pair after the node.
  for (int i = 0; i < v.graph().graph().node_size(); ++i) w.node(i);
  Model m = v.graph().model();
  finish_graph(m, std::move(w.out), v);
  return m;
}

}  // namespace edge::pass::quant
