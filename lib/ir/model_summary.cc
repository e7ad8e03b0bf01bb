#include "ir/model_summary.h"

#include <filesystem>
#include <set>

#include "ir/graph_index.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"
#include "ir/tensor_proto.h"

namespace edge {

namespace {

ValueSummary summarize_value(const onnx::ValueInfoProto& vi) {
  ValueSummary v;
  v.name = vi.name();
  if (vi.type().has_tensor_type()) {
    v.dtype = dtype_name(dtype_from_onnx(vi.type().tensor_type().elem_type()));
    for (const auto& d : vi.type().tensor_type().shape().dim()) {
      v.dims.push_back(d.has_dim_value() ? std::to_string(d.dim_value()) : d.has_dim_param() ? d.dim_param() : "?");
    }
  } else {
    v.dtype = "non-tensor";
  }
  return v;
}

// Input k of `n` when it is an initializer, or the initializer behind a DequantizeLinear
// (a quantized weight counts as this node's weight); nullptr otherwise.
const onnx::TensorProto* constant_input(const onnx::NodeProto& n, int k, const GraphIndex& idx,
                                        const onnx::GraphProto& g) {
  if (k < 0 || k >= n.input_size() || n.input(k).empty()) return nullptr;
  if (const auto* init = idx.initializer(n.input(k))) return init;
  const int p = idx.producer(n.input(k));
  if (p < 0 || g.node(p).op_type() != "DequantizeLinear" || g.node(p).input_size() < 1) return nullptr;
  return idx.initializer(g.node(p).input(0));
}

// A copy of `body` that also declares the types of the enclosing graph's values it does not
// define itself, so that shapes read from the outer scope are known (for MACs).
onnx::GraphProto with_outer_types(const onnx::GraphProto& outer, const onnx::GraphProto& body) {
  onnx::GraphProto scoped = body;
  std::set<std::string> own;
  for (const auto& v : body.input()) own.insert(v.name());
  for (const auto& v : body.value_info()) own.insert(v.name());
  for (const auto& v : body.output()) own.insert(v.name());
  for (const auto& i : body.initializer()) own.insert(i.name());
  auto add = [&](const onnx::ValueInfoProto& v) {
    if (own.insert(v.name()).second) *scoped.add_value_info() = v;
  };
  for (const auto& v : outer.input()) add(v);
  for (const auto& v : outer.value_info()) add(v);
  for (const auto& v : outer.output()) add(v);
  for (const auto& i : outer.initializer()) {
    onnx::ValueInfoProto v;
    v.set_name(i.name());
    auto* tt = v.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(i.data_type());
    for (int64_t d : i.dims()) tt->mutable_shape()->add_dim()->set_dim_value(d);
    add(v);
  }
  return scoped;
}

// Zero and total weight elements (for the sparsity), and layers found in subgraphs.
struct GraphTotals {
  int64_t zeros = 0, weights = 0;
  int subgraph_layers = 0;
};

// Initializers and layers of `g` (and, recursively, of its nodes' subgraphs) into `s`.
// `prefix` is "" for the main graph, "<node>/<attribute>/" for a body.
void summarize_graph(const onnx::GraphProto& g, const std::string& prefix, ModelSummary& s, GraphTotals& t) {
  GraphIndex idx(g);
  s.initializer_count += g.initializer_size();
  for (const auto& init : g.initializer()) {
    int64_t n = proto_numel(init, "initializer '" + init.name() + "'");
    DType dt = dtype_from_onnx(init.data_type());
    uint64_t bytes = sat_mul(static_cast<uint64_t>(n), static_cast<uint64_t>(dtype_size(dt)));
    s.total_params = sat_add(s.total_params, n);
    s.weight_bytes = sat_add(s.weight_bytes, bytes);
    uint64_t& by_dtype = s.weight_bytes_by_dtype[dtype_name(dt)];
    by_dtype = sat_add(by_dtype, bytes);
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    ++s.op_histogram[n.op_type()];
    LayerSummary l;
    const std::string l_name = n.name().empty() ? prefix + n.op_type() + "_" + std::to_string(i) : n.name();
    l.name = n.name().empty() ? prefix + n.op_type() + "_" + std::to_string(i) : n.name();
    l.graph = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
    l.op = n.op_type();
    const OpTraits& traits = op_traits(n);
    // The weight is the traits' weight input; ops without one show their largest constant
    // input. MatMul-like ops may hold the constant on either side (MatMul(W, x)).
    int wi = traits.weight_input;
    if (traits.mac_rule == MacRule::kMatMul && !constant_input(n, wi, idx, g)) wi = -1;
    int64_t counted_zeros = 0, counted_numel = 0;  // the current pick's share of the sparsity totals
    bool has_weight = false;
    for (int k = 0; k < n.input_size(); ++k) {
      const onnx::TensorProto* init = constant_input(n, k, idx, g);
      if (!init) continue;
      const int64_t numel = proto_numel(*init, "initializer '" + init->name() + "'");
      l.params = sat_add(l.params, numel);
      bool better = wi >= 0 ? k == wi : (!has_weight || numel > shape_numel(l.weight_shape));
      if (!better || init->dims_size() < 1) continue;
      t.zeros -= counted_zeros;
      t.weights -= counted_numel;
      counted_zeros = counted_numel = 0;
      has_weight = true;
      l.weight = init->name();
      l.weight_shape.assign(init->dims().begin(), init->dims().end());
      DType dt = dtype_from_onnx(init->data_type());
      l.dtype = dtype_name(dt);
      l.sparsity = 0;
      if (dtype_supported(dt)) {
        Tensor w = tensor_from_proto(*init, {}, "initializer '" + init->name() + "'");
        for (int64_t e = 0; e < w.numel(); ++e) counted_zeros += w.get_double(e) == 0.0;
        counted_numel = w.numel();
        l.sparsity = counted_numel ? static_cast<double>(counted_zeros) / static_cast<double>(counted_numel) : 0.0;
        t.zeros += counted_zeros;
        t.weights += counted_numel;
      }
    }
    l.macs = node_macs(n, idx);
    if (l.macs > 0) s.total_macs = sat_add(s.total_macs, l.macs);
    if (saturated(l.macs)) {
      s.notes.push_back("layer '" + l.name + "' (" + l.op + "): MACs overflow int64; saturated at " +
                        std::to_string(l.macs));
    }
    if (l.params > 0 || l.macs > 0) {
      t.subgraph_layers += !prefix.empty();
      s.layers.push_back(std::move(l));
    }
    // Bodies of If/Loop/Scan: their initializers and layers, named under this node.
    for (const auto& a : n.attribute()) {
      if (a.has_g()) summarize_graph(with_outer_types(g, a.g()), l_name + "/" + a.name() + "/", s, t);
      for (int k = 0; k < a.graphs_size(); ++k) {
        summarize_graph(with_outer_types(g, a.graphs(k)), l_name + "/" + a.name() + "_" + std::to_string(k) + "/", s, t);
      }
    }
  }
}

}  // namespace

ModelSummary summarize(const Model& model);

ModelSummary summarize_model(const Model& model) {
  try {
    return summarize(model);
  } catch (const Error& e) {
    throw Error(e.code(), model.name() + ": " + e.what());
  }
}

ModelSummary summarize(const Model& model) {
  ModelSummary s;
  const auto& p = model.proto();
  const auto& g = model.graph();
  s.ir_version = p.ir_version();
  for (const auto& op : p.opset_import()) s.opsets.emplace_back(op.domain().empty() ? "ai.onnx" : op.domain(), op.version());
  s.producer_name = p.producer_name();
  s.producer_version = p.producer_version();
  s.graph_name = g.name();
  GraphIndex idx(g);
  for (const auto* vi : idx.runtime_inputs()) s.inputs.push_back(summarize_value(*vi));
  for (const auto& vi : g.output()) s.outputs.push_back(summarize_value(vi));
  s.node_count = g.node_size();
  GraphTotals totals;
  summarize_graph(g, "", s, totals);
  s.weight_sparsity =
      totals.weights ? static_cast<double>(totals.zeros) / static_cast<double>(totals.weights) : 0.0;
  if (totals.subgraph_layers > 0) {
    s.notes.push_back(std::to_string(totals.subgraph_layers) +
                      " layers live in If/Loop/Scan bodies (named <node>/<attribute>/...): their params count once, "
                      "their MACs once per execution of the body (both If branches are counted)");
  }
  if (!model.path().empty()) {
    std::error_code ec;
    auto sz = std::filesystem::file_size(model.path(), ec);
    if (!ec) s.file_size = sz;
  }
  for (const auto& v : s.inputs) {
    for (const auto& d : v.dims) {
      if (d.empty() || !std::isdigit(static_cast<unsigned char>(d[0]))) {
        s.notes.push_back("input '" + v.name + "' has dynamic dims; MACs count them as 1");
        break;
      }
    }
  }
  if (saturated(s.total_params)) s.notes.push_back("total params overflow int64; saturated");
  if (saturated(s.weight_bytes)) s.notes.push_back("weight bytes overflow uint64; saturated");
  if (saturated(s.total_macs)) s.notes.push_back("total MACs overflow int64; saturated");
  for (const auto& w : model.warnings()) s.notes.push_back(w);
  return s;
}

}  // namespace edge
