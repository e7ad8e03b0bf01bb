#include "passes/quantize/quant_recurrent.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph_edit.h"
#include "pass/context.h"
#include "passes/quantize/weight_layers.h"

namespace edge::pass::quant {

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
    onnx::NodeProto changed = n;
    std::vector<onnx::NodeProto> nodes;
    ErrorStats err;
    int64_t params = 0;
    int used_axis = -1;
    for (int in = 1; in <= 2 && in < n.input_size(); ++in) {  // W, R: [directions, gates*hidden, *]
      if (!float_weight(m, fed, n.input(in))) continue;
      DequantizedWeight d = dequantized_weight(m, taken, n.input(in), axis);
      nodes.push_back(d.node);
      changed.set_input(in, d.output);
      maybe_unused.insert(n.input(in));
      err.signal += d.error.signal;
      err.noise += d.error.noise;
      err.count += d.error.count;
      params += d.params;
      used_axis = d.axis;
    }
    if (nodes.empty()) continue;
    nodes.push_back(changed);
    replace[i] = std::move(nodes);
    ++changed_layers;
    if (!stage) continue;
    report::LayerRecord row = converted_row(
        n, "int8 weights, float compute",
        std::string("s8 ") + (used_axis >= 0 ? "per gate row" : "per-tensor") + " symmetric (DequantizeLinear)", 8,
        &err, params);
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
