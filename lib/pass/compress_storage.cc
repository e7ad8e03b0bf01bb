#include "pass/compress_storage.h"

#include <algorithm>
#include <map>

#include "ir/atomic_file.h"
#include "ir/graph_edit.h"
#include "ir/op_traits.h"
#include "ir/sparse_storage.h"
#include "pass/compress.h"

namespace edge::pass {

namespace {

// Initializers, nodes and value producers by name, over the main graph and its subgraphs.
void index_graph(const onnx::GraphProto& g, std::map<std::string, const onnx::TensorProto*>& out,
                 std::map<std::string, const onnx::NodeProto*>& nodes,
                 std::map<std::string, const onnx::NodeProto*>& producers) {
  for (const auto& i : g.initializer()) out.emplace(i.name(), &i);
  for (const auto& n : g.node()) {
    nodes.emplace(n.name(), &n);
    for (const auto& o : n.output()) producers.emplace(o, &n);
    for (const auto* sub : subgraphs_of(n)) index_graph(*sub, out, nodes, producers);
  }
}

}  // namespace

void add_storage_columns(const Model& m, report::StageRecord& stage, bool sparse) {
  std::map<std::string, const onnx::TensorProto*> inits;
  std::map<std::string, const onnx::NodeProto*> nodes, producers;
  index_graph(m.graph(), inits, nodes, producers);
  const auto weight_of = [&](const std::string& value) -> const onnx::TensorProto* {
    if (auto it = inits.find(value); it != inits.end()) return it->second;
    auto p = producers.find(value);
    if (p == producers.end() || p->second->op_type() != "DequantizeLinear" || p->second->input_size() == 0) {
      return nullptr;
    }
    auto it = inits.find(p->second->input(0));
    return it == inits.end() ? nullptr : it->second;
  };
  bool added = false;
  for (auto& layer : stage.layers) {
    if (!layer.metrics.count("sparsity")) continue;
    auto n = nodes.find(layer.name);
    if (n == nodes.end()) continue;
    const onnx::NodeProto& node = *n->second;
    std::vector<const onnx::TensorProto*> weights;
    const int w = op_traits(node).weight_input;
    if (w >= 0 && w < node.input_size()) {
      if (const auto* t = weight_of(node.input(w))) weights.push_back(t);
    } else {
      for (const auto& in : node.input()) {
        if (auto it = inits.find(in); it != inits.end()) weights.push_back(it->second);
      }
    }
    if (weights.empty()) continue;
    double dense = 0, stored = 0;
    for (const auto* t : weights) {
      const StoredSize sz = stored_size(*t);
      dense += static_cast<double>(sz.dense_bytes);
      stored += static_cast<double>(sparse ? sz.stored_bytes : sz.dense_bytes);
    }
    layer.metrics["dense_bytes"] = dense;
    layer.metrics["stored_bytes"] = stored;
    added = true;
  }
  if (added) {
    for (const char* c : {"sparsity", "dense_bytes", "stored_bytes"}) {
      if (std::find(stage.columns.begin(), stage.columns.end(), c) == stage.columns.end()) stage.columns.push_back(c);
    }
  }
}

SaveOptions save_options(const CompressOptions& opts) {
  SaveOptions so;
  so.sparse_weights = !opts.dense_weights;
  return so;
}

void write_result(const CompressResult& res, const std::filesystem::path& path, const CompressOptions& opts) {
  if (!res.encoded.empty()) {
    write_file_atomic(path, res.encoded);
  } else {
    save_model(res.model, path, save_options(opts));
  }
}

}  // namespace edge::pass
