#include "ir/model_summary.h"

#include <filesystem>

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
  s.initializer_count = g.initializer_size();
  int64_t zero_total = 0, weight_total = 0;
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
    l.name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
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
      zero_total -= counted_zeros;
      weight_total -= counted_numel;
      counted_zeros = counted_numel = 0;
      has_weight = true;
      l.weight = init->name();
      l.weight_shape.assign(init->dims().begin(), init->dims().end());
      DType dt = dtype_from_onnx(init->data_type());
      l.dtype = dtype_name(dt);
      l.sparsity = 0;
      if (dtype_supported(dt)) {
        Tensor t = tensor_from_proto(*init, {}, "initializer '" + init->name() + "'");
        for (int64_t e = 0; e < t.numel(); ++e) counted_zeros += t.get_double(e) == 0.0;
        counted_numel = t.numel();
        l.sparsity = counted_numel ? static_cast<double>(counted_zeros) / static_cast<double>(counted_numel) : 0.0;
        zero_total += counted_zeros;
        weight_total += counted_numel;
      }
    }
    l.macs = node_macs(n, idx);
    if (l.macs > 0) s.total_macs = sat_add(s.total_macs, l.macs);
    if (saturated(l.macs)) {
      s.notes.push_back("layer '" + l.name + "' (" + l.op + "): MACs overflow int64; saturated at " +
                        std::to_string(l.macs));
    }
    if (l.params > 0 || l.macs > 0) s.layers.push_back(std::move(l));
  }
  s.weight_sparsity = weight_total ? static_cast<double>(zero_total) / static_cast<double>(weight_total) : 0.0;
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
