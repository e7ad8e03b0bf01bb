#include "passes/distill/qat_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/status.h"
#include "ir/tensor_proto.h"
#include "passes/prune/prune_stage.h"
#include "runtime/kernels/reference/ctl_util.h"
#include "runtime/kernels/reference/qlinear_util.h"

namespace edge::pass::qat {
namespace {

bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUint8; }

Tensor init_tensor(const Model& m, const GraphIndex& idx, const std::string& name) {
  const onnx::TensorProto* p = idx.initializer(name);
  if (!p) fail_internal("qat: no initializer '" + name + "'");
  return read_initializer(m, *p);
}

bool float_initializer(const GraphIndex& idx, const std::string& name) {
  const onnx::TensorProto* p = idx.initializer(name);
  return p && p->data_type() == onnx::TensorProto::FLOAT;
}

// The element -> parameter layout of a DequantizeLinear/QuantizeLinear over `x`.
rt::CtlQuantLayout layout(const Model& m, const std::string& node, const Tensor& x, const Tensor& scale,
                          const Tensor* zp, int64_t axis) {
  return rt::ctl_quant_layout("qat: DequantizeLinear of '" + node + "'", x, scale, zp, axis, m.opset());
}

// (q - zp) * s in float32, as DequantizeLinear computes it.
Tensor dequantize(const Model& m, const std::string& node, const Tensor& q, const Tensor& s, const Tensor* zp,
                  int64_t axis) {
  const rt::CtlQuantLayout l = layout(m, node, q, s, zp, axis);
  Tensor out(DType::kFloat, q.shape());
  for (int64_t i = 0; i < q.numel(); ++i) {
    const size_t p = l.param(i);
    const int64_t z = zp ? zp->get_int64(static_cast<int64_t>(p)) : 0;
    out.data<float>()[i] = static_cast<float>(q.get_int64(i) - z) * s.data<float>()[p];
  }
  return out;
}

// The write-back range of a weight: symmetric int8 keeps its grid ([-127, 127], or [-63, 63]
// when every value fits it: reduce_range); otherwise the type's range.
std::pair<int32_t, int32_t> weight_range(const Tensor& q, const Tensor* zp) {
  bool symmetric = q.dtype() == DType::kInt8;
  for (int64_t i = 0; symmetric && zp && i < zp->numel(); ++i) symmetric = zp->get_int64(i) == 0;
  if (!symmetric) return {rt::q_min(q.dtype()), rt::q_max(q.dtype())};
  int64_t largest = 0;
  for (int64_t i = 0; i < q.numel(); ++i) largest = std::max(largest, std::abs(q.get_int64(i)));
  const int32_t b = largest <= 63 ? 63 : 127;
  return {-b, b};
}

// The bias's layer scales: the DequantizeLinear producing the layer's activation input and
// its weight input (for a folded bias Add, the layer is the Add's other operand's producer).
void find_bias_scales(const Model& m, const GraphIndex& idx, const onnx::NodeProto& reader, QatBias& b) {
  const auto& g = m.graph();
  const onnx::NodeProto* layer = &reader;
  if (reader.op_type() == "Add" && reader.input_size() == 2) {
    const std::string other = reader.input(0) == b.output ? reader.input(1) : reader.input(0);
    const int p = idx.producer(other);
    if (p < 0) return;
    layer = &g.node(p);
  }
  if (layer->input_size() < 2) return;
  const auto dq_of = [&](const std::string& v) -> const onnx::NodeProto* {
    const int p = idx.producer(v);
    if (p < 0 || g.node(p).op_type() != "DequantizeLinear" || g.node(p).input_size() < 2) return nullptr;
    return &g.node(p);
  };
  const onnx::NodeProto* a = dq_of(layer->input(0));
  const onnx::NodeProto* w = dq_of(layer->input(1));
  if (!a || !w || idx.initializer(a->input(0)) || !idx.initializer(w->input(0))) return;
  if (!float_initializer(idx, a->input(1)) || !float_initializer(idx, w->input(1))) return;
  const Tensor sa = init_tensor(m, idx, a->input(1)), sw = init_tensor(m, idx, w->input(1));
  const Tensor sb = init_tensor(m, idx, b.scale);
  if (sa.numel() != 1 || (sb.numel() != sw.numel() && sw.numel() != 1)) return;
  for (int64_t c = 0; c < sb.numel(); ++c) {
    const double want = static_cast<double>(sa.data<float>()[0] * sw.data<float>()[c % sw.numel()]);
    if (std::abs(sb.data<float>()[c] - want) > 1e-5 * std::abs(want)) return;
  }
  b.in_scale = a->input(1);
  b.weight_scale = w->input(1);
}

const onnx::NodeProto* first_reader(const onnx::GraphProto& g, const GraphIndex& idx, const std::string& v) {
  const auto& c = idx.consumers(v);
  return c.empty() ? nullptr : &g.node(c.front());
}

}  // namespace

QatPlan analyze_qdq(const Model& qdq) {
  const auto& g = qdq.graph();
  const GraphIndex idx(g);
  QatPlan plan;
  std::set<std::string> weight_scales, act_scales;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    const bool q = n.op_type() == "QuantizeLinear", dq = n.op_type() == "DequantizeLinear";
    if (!(q || dq) || !n.domain().empty()) continue;
    plan.quantize_nodes += q ? 1 : 0;
    plan.dequantize_nodes += dq ? 1 : 0;
    if (n.input_size() < 2 || !float_initializer(idx, n.input(1))) continue;  // a computed scale: left alone
    const onnx::TensorProto* x = idx.initializer(n.input(0));
    if (q || !x) {
      act_scales.insert(n.input(1));
      continue;
    }
    const std::string zp = n.input_size() > 2 ? n.input(2) : "";
    if (!zp.empty() && !idx.initializer(zp)) continue;
    const onnx::NodeProto* reader = first_reader(g, idx, n.output(0));
    const Tensor qv = init_tensor(qdq, idx, n.input(0));
    if (is_8bit(qv.dtype())) {
      QatWeight w;
      w.index = i;
      w.node = n.name();
      w.layer = reader && !reader->name().empty() ? reader->name() : n.input(0);
      w.layer_op = reader ? reader->op_type() : "";
      w.q = n.input(0);
      w.scale = n.input(1);
      w.zero_point = zp;
      w.axis = NodeAttrs(n).get_int("axis", 1);
      const Tensor zpv = zp.empty() ? Tensor() : init_tensor(qdq, idx, zp);
      std::tie(w.lo, w.hi) = weight_range(qv, zp.empty() ? nullptr : &zpv);
      weight_scales.insert(w.scale);
      plan.weights.push_back(std::move(w));
    } else if (qv.dtype() == DType::kInt32) {
      QatBias b;
      b.index = i;
      b.node = n.name();
      b.layer = reader && !reader->name().empty() ? reader->name() : n.input(0);
      b.q = n.input(0);
      b.scale = n.input(1);
      b.zero_point = zp;
      b.output = n.output(0);
      b.axis = NodeAttrs(n).get_int("axis", 1);
      if (reader) find_bias_scales(qdq, idx, *reader, b);
      plan.biases.push_back(std::move(b));
    }
  }
  if (plan.quantize_nodes + plan.dequantize_nodes == 0) {
    fail("qat: " + qdq.name() +
         " has no QuantizeLinear/DequantizeLinear: qat fine-tunes a QDQ model (run quantize-static first, or give a "
         "QDQ file)");
  }
  if (plan.weights.empty()) fail("qat: " + qdq.name() + " has no 8-bit weight read by a DequantizeLinear to train");
  for (const auto& s : act_scales) {
    if (!weight_scales.count(s)) plan.activation_scales.push_back(s);
  }
  plan.weight_scales.assign(weight_scales.begin(), weight_scales.end());
  return plan;
}

Tensor learned_scale(const Tensor& s0, const Tensor& t, double k) {
  Tensor out(DType::kFloat, s0.shape());
  const float kf = static_cast<float>(k);
  for (int64_t i = 0; i < s0.numel(); ++i)
    out.data<float>()[i] = s0.data<float>()[i] * std::exp(t.data<float>()[i] * kf);
  return out;
}

TrainingCopy make_training_copy(const Model& qdq, const QatPlan& plan, bool learn_scales, double scale_factor) {
  TrainingCopy c;
  c.model = qdq;
  const GraphIndex idx(qdq.graph());
  auto& g = c.model.graph();
  std::set<std::string> taken = all_names(g);
  std::map<int, std::vector<onnx::NodeProto>> before;
  std::vector<bool> remove(static_cast<size_t>(g.node_size()), false);
  auto& float_of = c.float_of;
  std::set<std::string> replaced;

  for (const auto& w : plan.weights) {
    const int at = w.index;
    const Tensor zp = w.zero_point.empty() ? Tensor() : init_tensor(qdq, idx, w.zero_point);
    const Tensor q = init_tensor(qdq, idx, w.q);
    if (!float_of.count(w.q)) {
      const Tensor f = dequantize(qdq, w.q, q, init_tensor(qdq, idx, w.scale), zp.defined() ? &zp : nullptr, w.axis);
      float_of[w.q] = fresh_name(taken, w.q + "_qat_float");
      add_initializer(c.model, f, float_of[w.q]);
      c.params.push_back(float_of[w.q]);
    }
    std::string zp_name = w.zero_point;
    if (zp_name.empty() && q.dtype() == DType::kInt8) {  // QuantizeLinear's default output is uint8
      const Tensor s = init_tensor(qdq, idx, w.scale);
      zp_name = fresh_name(taken, w.scale + "_qat_zero_point");
      add_initializer(c.model, Tensor(DType::kInt8, s.shape()), zp_name);
    }
    onnx::NodeProto qn;
    qn.set_op_type("QuantizeLinear");
    qn.set_name(fresh_name(taken, w.q + "_qat_quantize"));
    qn.add_input(float_of[w.q]);
    qn.add_input(w.scale);
    if (!zp_name.empty()) qn.add_input(zp_name);
    qn.add_output(fresh_name(taken, w.q + "_qat_fake"));
    for (const auto& a : g.node(at).attribute()) {
      if (a.name() == "axis") *qn.add_attribute() = a;
    }
    g.mutable_node(at)->set_input(0, qn.output(0));
    before[at].push_back(std::move(qn));
    replaced.insert(w.q);
  }
  for (const auto& b : plan.biases) {
    const Tensor zp = b.zero_point.empty() ? Tensor() : init_tensor(qdq, idx, b.zero_point);
    const Tensor f = dequantize(qdq, b.q, init_tensor(qdq, idx, b.q), init_tensor(qdq, idx, b.scale),
                                zp.defined() ? &zp : nullptr, b.axis);
    remove[static_cast<size_t>(b.index)] = true;
    add_initializer(c.model, f, b.output);
    c.params.push_back(b.output);
    replaced.insert(b.q);
  }

  std::vector<onnx::NodeProto> front;
  if (learn_scales) {
    c.scale_factor = scale_factor;
    const std::string k = fresh_name(taken, "qat_scale_factor");
    add_initializer(c.model, Tensor::scalar<float>(static_cast<float>(scale_factor)), k);
    std::vector<std::string> scales = plan.weight_scales;
    scales.insert(scales.end(), plan.activation_scales.begin(), plan.activation_scales.end());
    for (const auto& s : scales) {
      const Tensor s0 = init_tensor(qdq, idx, s);
      erase_initializers(g, {s});
      const std::string initial = fresh_name(taken, s + "_qat_initial"), log = fresh_name(taken, s + "_qat_log");
      add_initializer(c.model, s0, initial);
      add_initializer(c.model, Tensor(DType::kFloat, s0.shape()), log);  // zeros: S = S0 at the start
      c.params.push_back(log);
      c.log_scale[s] = log;
      const auto node = [&](const std::string& op, const std::vector<std::string>& in, const std::string& out) {
        onnx::NodeProto n;
        n.set_op_type(op);
        n.set_name(fresh_name(taken, s + "_qat_" + op));
        for (const auto& i : in) n.add_input(i);
        n.add_output(out);
        front.push_back(std::move(n));
      };
      const std::string kt = fresh_name(taken, s + "_qat_kt"), e = fresh_name(taken, s + "_qat_exp");
      node("Mul", {log, k}, kt);
      node("Exp", {kt}, e);
      node("Mul", {initial, e}, s);
    }
  }

  std::vector<onnx::NodeProto> nodes = std::move(front);
  for (int i = 0; i < g.node_size(); ++i) {
    if (remove[static_cast<size_t>(i)]) continue;
    if (auto it = before.find(i); it != before.end()) {
      for (auto& n : it->second) nodes.push_back(std::move(n));
    }
    nodes.push_back(g.node(i));
  }
  g.clear_node();
  for (auto& n : nodes) *g.add_node() = std::move(n);
  erase_unused_initializers(g, replaced);
  return c;
}

WriteBackStats write_back(Model& qdq, const QatPlan& plan, const TrainingCopy& copy,
                          const std::map<std::string, Tensor>& values) {
  const GraphIndex idx(qdq.graph());
  WriteBackStats st;
  const auto value = [&](const std::string& name) -> const Tensor& {
    auto it = values.find(name);
    if (it == values.end()) fail_internal("qat: no trained value for '" + name + "'");
    return it->second;
  };
  // Final scales (only the learned ones differ from the model's).
  std::map<std::string, Tensor> scale;
  std::map<std::string, double> change;
  for (const auto& [s, log] : copy.log_scale) {
    const Tensor s0 = init_tensor(qdq, idx, s);
    scale[s] = learned_scale(s0, value(log), copy.scale_factor);
    double d = 0;
    for (int64_t i = 0; i < s0.numel(); ++i) {
      d = std::max(d, std::abs(static_cast<double>(scale[s].data<float>()[i]) / s0.data<float>()[i] - 1));
    }
    change[s] = d;
    ++st.scales_total;
    st.scales_changed += d > 0 ? 1 : 0;
    st.max_scale_change = std::max(st.max_scale_change, d);
  }
  const auto scale_of = [&](const std::string& s) { return scale.count(s) ? scale.at(s) : init_tensor(qdq, idx, s); };

  std::set<std::string> written;
  for (const auto& w : plan.weights) {
    const Tensor q0 = init_tensor(qdq, idx, w.q);
    if (!written.insert(w.q).second) continue;  // a shared weight: written once
    const Tensor& f = value(copy.float_of.at(w.q));
    const Tensor s = scale_of(w.scale);
    const Tensor zp = w.zero_point.empty() ? Tensor() : init_tensor(qdq, idx, w.zero_point);
    const rt::CtlQuantLayout l = layout(qdq, w.q, q0, s, zp.defined() ? &zp : nullptr, w.axis);
    Tensor q(q0.dtype(), q0.shape());
    int64_t changed = 0;
    for (int64_t i = 0; i < q0.numel(); ++i) {
      const size_t p = l.param(i);
      const auto z = static_cast<int32_t>(zp.defined() ? zp.get_int64(static_cast<int64_t>(p)) : 0);
      const float v = f.data<float>()[i] / s.data<float>()[p];  // in float32, as QuantizeLinear
      const int32_t wide = rt::q_round_clamp(v, z, rt::q_min(q0.dtype()), rt::q_max(q0.dtype()));
      const int32_t r = std::clamp(wide, w.lo, w.hi);
      st.weight_values_clamped += r != wide ? 1 : 0;
      changed += r != q0.get_int64(i) ? 1 : 0;
      if (q0.dtype() == DType::kInt8) {
        q.data<int8_t>()[i] = static_cast<int8_t>(r);
      } else {
        q.data<uint8_t>()[i] = static_cast<uint8_t>(r);
      }
    }
    st.weight_values += q0.numel();
    st.weight_values_changed += changed;
    st.weight_changed_share.push_back(q0.numel() ? static_cast<double>(changed) / static_cast<double>(q0.numel()) : 0);
    st.weight_scale_change.push_back(change.count(w.scale) ? change.at(w.scale) : 0);
    prune::write_weight(qdq, w.q, q);
  }
  for (const auto& b : plan.biases) {
    const Tensor q0 = init_tensor(qdq, idx, b.q);
    Tensor sb = init_tensor(qdq, idx, b.scale);
    if (!copy.log_scale.empty()) {
      if (b.in_scale.empty()) {
        ++st.biases_scale_kept;
      } else {
        const Tensor sa = scale_of(b.in_scale), sw = scale_of(b.weight_scale);
        for (int64_t c = 0; c < sb.numel(); ++c) {
          sb.data<float>()[c] = sa.data<float>()[0] * sw.data<float>()[c % sw.numel()];
        }
        prune::write_weight(qdq, b.scale, sb);
      }
    }
    const Tensor& f = value(b.output);
    const Tensor zp = b.zero_point.empty() ? Tensor() : init_tensor(qdq, idx, b.zero_point);
    const rt::CtlQuantLayout l = layout(qdq, b.q, q0, sb, zp.defined() ? &zp : nullptr, b.axis);
    Tensor q(DType::kInt32, q0.shape());
    const double lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    for (int64_t i = 0; i < q0.numel(); ++i) {
      const size_t p = l.param(i);
      const double z = zp.defined() ? static_cast<double>(zp.get_int64(static_cast<int64_t>(p))) : 0;
      const double r = std::nearbyint(static_cast<double>(f.data<float>()[i]) / sb.data<float>()[p]) + z;
      st.bias_values_saturated += (r < lo || r > hi) ? 1 : 0;
      q.data<int32_t>()[i] = static_cast<int32_t>(std::clamp(std::isnan(r) ? 0.0 : r, lo, hi));
    }
    st.bias_values += q0.numel();
    prune::write_weight(qdq, b.q, q);
  }
  for (const auto& s : plan.activation_scales) {
    const Tensor s0 = init_tensor(qdq, idx, s);
    const Tensor s1 = scale_of(s);
    st.activation_scale.emplace_back(s0.data<float>()[0], s1.data<float>()[0]);
  }
  for (const auto& [s, t] : scale) prune::write_weight(qdq, s, t);
  return st;
}

}  // namespace edge::pass::qat
