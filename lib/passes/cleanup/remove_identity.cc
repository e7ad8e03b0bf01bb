// remove-identity: removes Identity nodes and inference-mode Dropout nodes by rewiring
// their readers to the node's input (in subgraphs too).
//
// Before:                          After:
//   t = Conv(x, W)                   u = Conv(x, W)
//   u = Identity(t)                  y = Relu(u)
//   y = Relu(u)
//
// When the removed node's output is a graph output, the producer of its input is renamed
// instead (`t` became `u` above); a node whose input is a graph input, an initializer, an
// outer-scope value or another graph output stays. A Dropout stays when its mask output is
// read or when it may run in training mode (training_mode input that is not a constant
// false; opset < 7 with is_test = 0).
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* RemoveIdentity::summary() {
  return "remove Identity and inference-mode Dropout nodes by rewiring their readers";
}

std::vector<OptionSpec> RemoveIdentity::options() { return {}; }

namespace {

// True when `name` is a constant false scalar initializer of `g` (and not overridable).
bool constant_false(const Model& model, const onnx::GraphProto& g, const std::string& name) {
  if (&g == &model.graph() && fed_inputs(model).count(name)) return false;
  for (const auto& i : g.input()) {
    if (&g != &model.graph() && i.name() == name) return false;
  }
  for (const auto& t : g.initializer()) {
    if (t.name() != name) continue;
    Tensor v = read_initializer(model, t);
    return v.numel() == 1 && v.get_double(0) == 0.0;
  }
  return false;
}

bool inference_dropout(const Model& model, const onnx::GraphProto& g, const onnx::NodeProto& n,
                       const std::set<std::string>& reads, const std::set<std::string>& outputs) {
  if (n.output_size() > 1 && !n.output(1).empty() && (reads.count(n.output(1)) || outputs.count(n.output(1)))) {
    return false;  // the mask is used
  }
  const int opset = model.opset();
  const NodeAttrs attrs(n);
  if (opset < 7 && attrs.has("is_test") && attrs.get_int("is_test", 0) == 0) return false;
  if (n.input_size() > 2 && !n.input(2).empty() && !constant_false(model, g, n.input(2))) return false;
  return true;
}

int remove_in(const Model& model, onnx::GraphProto& g, PassContext& ctx) {
  int removed = 0;
  // Subgraphs first: their removals do not change what they read from this graph.
  for (auto& node : *g.mutable_node()) {
    for (auto& a : *node.mutable_attribute()) {
      if (a.has_g()) removed += remove_in(model, *a.mutable_g(), ctx);
      for (auto& sg : *a.mutable_graphs()) removed += remove_in(model, sg, ctx);
    }
  }
  const std::set<std::string> reads = all_reads(g);
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  std::vector<bool> candidates(static_cast<size_t>(g.node_size()), false);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!is_onnx_op(n) || n.input_size() < 1 || n.output_size() < 1) continue;
    if (ctx.layer_excluded(n.name())) continue;
    bool ok = n.op_type() == "Identity" || (n.op_type() == "Dropout" && inference_dropout(model, g, n, reads, outputs));
    candidates[static_cast<size_t>(i)] = ok;
  }
  return removed + bypass_nodes(g, candidates);
}

}  // namespace

void RemoveIdentity::run(Model& model, PassContext& ctx) {
  const int before = model.graph().node_size();
  const int removed = remove_in(model, model.graph(), ctx);
  ctx.log().debug("remove-identity: removed {} nodes ({} in the main graph)", removed,
                  before - model.graph().node_size());
  if (ctx.stage) ctx.stage->metrics["removed_nodes"] = removed;
}

}  // namespace edge::pass
