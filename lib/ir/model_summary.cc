#include "ir/model_summary.h"

#include <filesystem>

#include "ir/graph_index.h"
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

// Known shape of a value (dynamic dims as 1); false when unknown.
bool shape_of(const GraphIndex& idx, const std::string& name, Shape* s) {
  if (const auto* init = idx.initializer(name)) {
    s->assign(init->dims().begin(), init->dims().end());
    return true;
  }
  const auto* vi = idx.value_info(name);
  if (!vi || !value_info_shape(*vi, s)) return false;
  for (auto& d : *s) {
    if (d < 0) d = 1;
  }
  return true;
}

int64_t prod(const Shape& s, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < s.size(); ++i) p *= s[i];
  return p;
}

int64_t node_macs(const onnx::NodeProto& n, const GraphIndex& idx) {
  Shape a, w, y;
  const std::string& op = n.op_type();
  auto in = [&](int i) -> std::string { return i < n.input_size() ? n.input(i) : ""; };
  if (op == "Conv" || op == "ConvInteger" || op == "QLinearConv") {
    int wi = op == "QLinearConv" ? 3 : 1;
    if (!shape_of(idx, in(wi), &w) || !shape_of(idx, n.output(0), &y) || w.size() < 2) return -1;
    return prod(y) * prod(w, 1);
  }
  if (op == "ConvTranspose") {
    if (!shape_of(idx, in(0), &a) || !shape_of(idx, in(1), &w) || w.size() < 2) return -1;
    return prod(a) * prod(w, 1);
  }
  if (op == "Gemm" || op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul") {
    int ai = 0;
    if (!shape_of(idx, in(ai), &a) || !shape_of(idx, n.output(0), &y) || a.empty()) return -1;
    int64_t k = a.back();
    if (op == "Gemm") {
      for (const auto& at : n.attribute()) {
        if (at.name() == "transA" && at.i() && a.size() == 2) k = a[0];
      }
    }
    return prod(y) * k;
  }
  return -1;
}

// Input index holding the layer's weight, or -1 for "the largest initializer input".
int weight_input_index(const std::string& op) {
  if (op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "ConvInteger") return 1;
  if (op == "QLinearConv") return 3;
  return -1;
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
    uint64_t bytes = static_cast<uint64_t>(n) * dtype_size(dt);
    s.total_params += n;
    s.weight_bytes += bytes;
    s.weight_bytes_by_dtype[dtype_name(dt)] += bytes;
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    ++s.op_histogram[n.op_type()];
    LayerSummary l;
    l.name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    l.op = n.op_type();
    bool has_weight = false;
    for (int k = 0; k < n.input_size(); ++k) {
      const onnx::TensorProto* init = idx.initializer(n.input(k));
      // A weight behind DequantizeLinear counts as this node's (quantized) weight.
      if (!init) {
        int prod_node = idx.producer(n.input(k));
        if (prod_node >= 0 && g.node(prod_node).op_type() == "DequantizeLinear" && g.node(prod_node).input_size() > 0) {
          init = idx.initializer(g.node(prod_node).input(0));
        }
      }
      if (!init) continue;
      l.params += proto_numel(*init, "initializer '" + init->name() + "'");
      int wi = weight_input_index(n.op_type());
      int64_t numel = proto_numel(*init, "initializer '" + init->name() + "'");
      bool better = wi >= 0 ? k == wi : (!has_weight || numel > shape_numel(l.weight_shape));
      if (better && init->dims_size() >= 1) {
        if (has_weight) {
          // Replace the previous pick: undo its sparsity contribution.
          zero_total -= static_cast<int64_t>(l.sparsity * static_cast<double>(shape_numel(l.weight_shape)) + 0.5);
          weight_total -= shape_numel(l.weight_shape);
        }
        has_weight = true;
        l.weight = init->name();
        l.weight_shape.assign(init->dims().begin(), init->dims().end());
        DType dt = dtype_from_onnx(init->data_type());
        l.dtype = dtype_name(dt);
        if (dtype_supported(dt)) {
          Tensor t = tensor_from_proto(*init, {}, "initializer '" + init->name() + "'");
          int64_t zeros = 0;
          for (int64_t e = 0; e < t.numel(); ++e) zeros += t.get_double(e) == 0.0;
          l.sparsity = t.numel() ? static_cast<double>(zeros) / static_cast<double>(t.numel()) : 0.0;
          zero_total += zeros;
          weight_total += t.numel();
        }
      }
    }
    l.macs = node_macs(n, idx);
    if (l.macs > 0) s.total_macs += l.macs;
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
  for (const auto& w : model.warnings()) s.notes.push_back(w);
  return s;
}

}  // namespace edge
