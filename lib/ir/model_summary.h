// ModelSummary: what `compressor inspect` and the compression report say about a model:
// metadata, inputs/outputs, op histogram, per-layer weights/params/MACs/sparsity, totals.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"

namespace edge {

struct ValueSummary {
  std::string name;
  std::string dtype;              // "float32"
  std::vector<std::string> dims;  // "1", "batch", "?"
};

struct LayerSummary {
  std::string name;          // node name (or "<op>_<index>" when unnamed)
  std::string graph;         // "" in the main graph, else the body: "If_3/then_branch"
  std::string op;
  std::string weight;        // name of the main weight initializer ("" if none)
  Shape weight_shape;
  std::string dtype;         // weight element type
  int64_t params = 0;        // elements of all initializer inputs
  int64_t macs = -1;         // multiply-accumulates per inference; -1 when not computed
  double sparsity = 0;       // fraction of exactly-zero weight elements
};

struct ModelSummary {
  int64_t ir_version = 0;
  std::vector<std::pair<std::string, int64_t>> opsets;  // domain ("ai.onnx" for default) -> version
  std::string producer_name, producer_version, graph_name;
  std::vector<ValueSummary> inputs, outputs;
  std::map<std::string, int> op_histogram;
  std::vector<LayerSummary> layers;
  int node_count = 0;
  int initializer_count = 0;  // subgraphs' initializers included
  int64_t total_params = 0;
  int64_t total_macs = 0;  // sum over layers with known MACs
  std::map<std::string, uint64_t> weight_bytes_by_dtype;
  uint64_t weight_bytes = 0;
  uint64_t file_size = 0;  // 0 for in-memory models
  double weight_sparsity = 0;  // zero fraction over all float/int weights
  std::vector<std::string> notes;
};

// Dynamic dims count as 1 for MACs (so MACs are per sample for a dynamic batch).
ModelSummary summarize_model(const Model& model);

}  // namespace edge
