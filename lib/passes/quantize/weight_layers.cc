#include "passes/quantize/weight_layers.h"

#include <algorithm>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "passes/quantize/op_quantizer.h"

namespace edge::pass::quant {

std::string layer_name(const onnx::NodeProto& n) { return n.name().empty() ? n.output(0) : n.name(); }

const onnx::TensorProto* float_weight(const Model& m, const std::set<std::string>& fed, const std::string& name) {
  if (name.empty() || fed.count(name)) return nullptr;
  for (const auto& init : m.graph().initializer()) {
    if (init.name() == name) return init.data_type() == onnx::TensorProto::FLOAT ? &init : nullptr;
  }
  return nullptr;
}

namespace {

Tensor transposed(const Tensor& w) {
  const int64_t r = w.dim(0), c = w.dim(1);
  Tensor t(DType::kFloat, {c, r});
  const float* s = w.data<float>();
  float* d = t.data<float>();
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) d[j * r + i] = s[i * c + j];
  }
  return t;
}

int readers(const onnx::GraphProto& g, const std::string& name) {
  int n = 0;
  for (const auto& node : g.node()) {
    for (const auto& in : node.input()) n += in == name;
  }
  return n;
}

}  // namespace

Candidate linear_layer(const Model& m, int node, const std::set<std::string>& fed) {
  const auto& g = m.graph();
  const onnx::NodeProto& n = g.node(node);
  Candidate c;
  const bool gemm = n.op_type() == "Gemm";
  if (n.input_size() < 2) return {{}, "fewer than 2 inputs"};
  const onnx::TensorProto* b = float_weight(m, fed, n.input(1));
  if (!b) return {{}, "weight (input 1) is not a constant float32 initializer"};
  if (b->dims_size() != 2) return {{}, "weight is not 2-D"};
  if (readers(g, n.input(1)) != 1) return {{}, "weight shared with another node"};
  const NodeAttrs attrs(n);
  if (gemm && attrs.get_int("transA", 0) != 0) return {{}, "Gemm with transA=1"};
  LinearLayer& l = c.linear;
  l.node = node;
  l.input = n.input(0);
  l.weight = n.input(1);
  Tensor w = read_initializer(m, *b);
  if (gemm && attrs.get_int("transB", 0) != 0) w = transposed(w);
  if (gemm) {
    const float alpha = attrs.get_float("alpha", 1.f);
    if (alpha != 1.f) {
      w = w.clone();
      float* p = w.data<float>();
      for (int64_t i = 0; i < w.numel(); ++i) p[i] *= alpha;
    }
  }
  l.w_kn = w;
  const int64_t cols = w.dim(1);
  if (gemm && n.input_size() > 2 && !n.input(2).empty()) {
    const onnx::TensorProto* cp = float_weight(m, fed, n.input(2));
    if (!cp) return {{}, "Gemm bias C is not a constant float32 initializer"};
    Tensor ct = read_initializer(m, *cp);
    const bool row = ct.numel() == cols && (ct.rank() == 1 || (ct.rank() == 2 && ct.dim(0) == 1));
    if (!row && ct.numel() != 1) return {{}, "Gemm bias C of shape " + shape_str(ct.shape()) + " is not [N] or [1, N]"};
    const float beta = attrs.get_float("beta", 1.f);
    l.bias = Tensor(DType::kFloat, {cols});
    for (int64_t j = 0; j < cols; ++j) {
      l.bias.data<float>()[j] = beta * static_cast<float>(ct.get_double(ct.numel() == 1 ? 0 : j));
    }
    if (readers(g, n.input(2)) == 1) l.bias_name = n.input(2);
  }
  return c;
}

void rewrite_nodes(Model& m, const std::map<int, std::vector<onnx::NodeProto>>& replace,
                   const std::set<std::string>& maybe_unused) {
  onnx::GraphProto& g = m.graph();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  nodes.Swap(g.mutable_node());
  for (int i = 0; i < nodes.size(); ++i) {
    auto it = replace.find(i);
    if (it == replace.end()) {
      *g.add_node() = std::move(*nodes.Mutable(i));
      continue;
    }
    for (const auto& r : it->second) *g.add_node() = r;
  }
  erase_unused_initializers(g, maybe_unused);
}

onnx::NodeProto make_node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                          const std::string& name, const std::string& domain) {
  onnx::NodeProto n;
  n.set_op_type(op);
  if (!domain.empty()) n.set_domain(domain);
  if (!name.empty()) n.set_name(name);
  for (auto& i : inputs) n.add_input(std::move(i));
  for (auto& o : outputs) n.add_output(std::move(o));
  return n;
}

void ensure_opset_import(Model& m, const std::string& domain, int version) {
  for (const auto& op : m.proto().opset_import()) {
    if (op.domain() == domain || (domain.empty() && op.domain() == "ai.onnx")) return;
  }
  auto* op = m.proto().add_opset_import();
  op->set_domain(domain);
  op->set_version(version);
}

ErrorStats weight_error(const Tensor& ref, const std::vector<float>& approx) {
  ErrorStats e;
  e.add(ref.data<float>(), approx.data(), ref.numel());
  return e;
}

report::LayerRecord converted_row(const onnx::NodeProto& n, const std::string& precision, const std::string& weights,
                                  int bits, const ErrorStats* err, int64_t params) {
  report::LayerRecord rec;
  rec.name = layer_name(n);
  rec.op = n.op_type();
  rec.attrs["precision"] = precision;
  rec.attrs["weights"] = weights;
  rec.metrics["bits"] = bits;
  if (err) {
    rec.metrics["sqnr_db"] = err->sqnr_db();
    rec.metrics["mse"] = err->mse();
  }
  rec.params = params;
  return rec;
}

report::LayerRecord float_row(const onnx::NodeProto& n, const std::string& reason) {
  report::LayerRecord rec;
  rec.name = layer_name(n);
  rec.op = n.op_type();
  rec.attrs["precision"] = "float";
  rec.attrs["reason"] = reason;
  return rec;
}

}  // namespace edge::pass::quant

namespace edge::pass::quant {

DequantizedWeight dequantized_weight(Model& m, std::set<std::string>& taken, const std::string& name, int axis) {
  const onnx::TensorProto* p = nullptr;
  for (const auto& init : m.graph().initializer()) {
    if (init.name() == name) p = &init;
  }
  if (!p) fail_internal("dequantized_weight: no initializer " + name);
  const Tensor w = read_initializer(m, *p);
  WeightOptions o;
  o.per_channel = axis >= 0;
  const QuantizedWeight q = quantize_weight(w, axis, o);
  DequantizedWeight d;
  d.axis = q.axis;
  d.params = w.numel();
  // Short names (W_q, W_s, W_dq), as quantize-static's; symmetric weights need no zero point
  // input (DequantizeLinear's default is 0 of the int8 input's type).
  const std::string qn = fresh_name(taken, name + "_q");
  const std::string sn = fresh_name(taken, name + "_s");
  d.output = fresh_name(taken, name + "_dq");
  add_initializer(m, q.values, qn);
  add_initializer(m, q.scale(), sn);
  std::vector<std::string> inputs = {qn, sn};
  if (std::any_of(q.zero_points.begin(), q.zero_points.end(), [](int8_t z) { return z != 0; })) {
    inputs.push_back(fresh_name(taken, name + "_zp"));
    add_initializer(m, q.zero_point(), inputs.back());
  }
  d.node = make_node("DequantizeLinear", inputs, {d.output}, "");
  if (q.axis >= 0) set_int_attribute(d.node, "axis", q.axis);
  // The error of the stored form: (q - 0) * scale of the element's slice.
  std::vector<float> approx(static_cast<size_t>(w.numel()));
  int64_t inner = 1, n = 1;
  if (q.axis >= 0) {
    n = w.dim(q.axis);
    for (int dd = q.axis + 1; dd < w.rank(); ++dd) inner *= w.dim(dd);
  }
  for (int64_t e = 0; e < w.numel(); ++e) {
    const size_t c = q.axis >= 0 ? static_cast<size_t>((e / inner) % n) : 0;
    approx[static_cast<size_t>(e)] = static_cast<float>(q.values.data<int8_t>()[e]) * q.scales[c];
  }
  d.error = weight_error(w, approx);
  return d;
}

}  // namespace edge::pass::quant
