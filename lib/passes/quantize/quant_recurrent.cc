#include "passes/quantize/quant_recurrent.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph_edit.h"
#include "pass/context.h"
#include "passes/quantize/weight_layers.h"

namespace edge::pass::quant {

std::string RecurrentWeights::kind() const {
  return std::string("s8 ") + (axis >= 0 ? "per gate row" : "per-tensor") + " symmetric (DequantizeLinear)";
}

RecurrentWeights dequantize_recurrent_weights(Model& m, std::set<std::string>& taken, const std::set<std::string>& fed,
                                              const onnx::NodeProto& n, int axis) {
  RecurrentWeights r;
  onnx::NodeProto changed = n;
  for (int in = 1; in <= 2 && in < n.input_size(); ++in) {  // W, R: [directions, gates*hidden, *]
    if (!float_weight(m, fed, n.input(in))) continue;
    DequantizedWeight d = dequantized_weight(m, taken, n.input(in), axis);
    r.nodes.push_back(d.node);
    changed.set_input(in, d.output);
    r.replaced.push_back(n.input(in));
    r.error.signal += d.error.signal;
    r.error.noise += d.error.noise;
    r.error.count += d.error.count;
    r.params += d.params;
    r.axis = d.axis;
  }
  if (!r.nodes.empty()) r.nodes.push_back(changed);
  return r;
}

int store_recurrent_weights_int8(Model& m, PassContext& ctx, report::StageRecord* stage) {
  const std::set<std::string> fed = fed_inputs(m);
  std::set<std::string> taken = all_names(m.graph());
  const int axis = m.opset() >= 13 ? 1 : -1;  // per-axis DequantizeLinear needs opset 13
  std::map<int, std::vector<onnx::NodeProto>> replace;
  std::set<std::string> maybe_unused;
  int changed_layers = 0;
  for (int i = 0; i < m.graph().node_size(); ++i) {
    const onnx::NodeProto n = m.graph().node(i);
    const std::string& op = n.op_type();
    if ((op != "GRU" && op != "LSTM" && op != "RNN") || (!n.domain().empty() && n.domain() != "ai.onnx")) continue;
    if (ctx.for_layer(n).excluded) continue;
    RecurrentWeights w = dequantize_recurrent_weights(m, taken, fed, n, axis);
    if (w.nodes.empty()) continue;
    maybe_unused.insert(w.replaced.begin(), w.replaced.end());
    replace[i] = w.nodes;
    ++changed_layers;
    if (!stage) continue;
    report::LayerRecord row = converted_row(n, "int8 weights, float compute", w.kind(), 8, &w.error, w.params);
    row.attrs["reason"] = "no integer " + op + " in ONNX: compute stays float, W and R are stored int8";
    bool found = false;
    for (auto& r : stage->layers) {
      if (r.name == row.name && r.op == op) {
        r = row;
        found = true;
      }
    }
    if (!found) stage->layers.push_back(std::move(row));
  }
  if (replace.empty()) return 0;
  rewrite_nodes(m, replace, maybe_unused);
  if (stage) {
    stage->metrics["float_layers"] = std::max(0.0, stage->metrics["float_layers"] - changed_layers);
    stage->metrics["int8_weight_only_layers"] = changed_layers;
    stage->notes.push_back(std::to_string(changed_layers) +
                           " GRU/LSTM/RNN layer(s): weights int8 through DequantizeLinear, compute float (ONNX has "
                           "no integer recurrent op; recurrent=false keeps them float32)");
  }
  return changed_layers;
}

}  // namespace edge::pass::quant
