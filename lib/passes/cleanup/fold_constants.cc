// fold-constants: evaluates nodes whose inputs are all constant (initializers, Constant
// outputs, or outputs of other folded nodes) with edge's runtime and replaces them by
// initializers. Constant nodes become initializers; initializers that only fed folded
// nodes are dropped.
//
// Before:                                   After:
//   <float[2] a = {1, 2}>                     <float[2] a = {1, 2}, float[2] s = {2, 3}>
//   c = Constant<value_float = 1.0>()         y = Mul(x, s)
//   s = Add(a, c)
//   y = Mul(x, s)
//
// Skipped: nodes with subgraphs, non-deterministic ops (Random*, Bernoulli, Multinomial,
// Dropout), DequantizeLinear (the int8 weights of a quantized model stay int8),
// sequence/optional ops, other domains, nodes the runtime cannot run, nodes
// reading initializers that are also graph inputs of IR >= 4 models (a caller may override
// them; IR < 4 lists every initializer as an input, so there they count as constant), values above
// `max_bytes` (their producer stays, fed by folded inputs where needed). For IR < 4 models
// nodes producing graph outputs stay (an initializer must also be a graph input there).
#include <map>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/tensor_proto.h"
#include "passes/cleanup/cleanup_passes.h"
#include "runtime/session.h"

namespace edge::pass {

const char* FoldConstants::summary() {
  return "evaluate nodes whose inputs are all constant and store their outputs as initializers";
}

std::vector<OptionSpec> FoldConstants::options() {
  OptionSpec max_bytes{"max_bytes", OptionType::kInt, "16777216",
                       "largest folded tensor (bytes) to store as an initializer", {}, 0, 1e15};
  return {max_bytes};
}

namespace {

bool foldable_op(const onnx::NodeProto& n) {
  static const std::set<std::string> kNever = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli",
      "Multinomial",  "Dropout",       "If",               "Loop",              "Scan",
      // A quantized model stores its weights as 8-bit initializers behind DequantizeLinear;
      // folding it would write them back as float.
      "DequantizeLinear"};
  if (!is_onnx_op(n) || has_subgraph(n) || kNever.count(n.op_type())) return false;
  const std::string& op = n.op_type();
  if (op.rfind("Sequence", 0) == 0 || op.rfind("Optional", 0) == 0 || op == "SplitToSequence" ||
      op == "ConcatFromSequence") {
    return false;
  }
  for (const auto& o : n.output()) {
    if (!o.empty()) return true;
  }
  return false;
}

// Runs one node on constant inputs. Returns false (and logs) when the runtime cannot.
bool evaluate(const Model& model, const onnx::NodeProto& node,
              const std::map<std::string, const onnx::TensorProto*>& inits,
              const std::map<std::string, Tensor>& consts, std::map<std::string, Tensor>* out,
              PassContext& ctx) {
  onnx::ModelProto mp;
  mp.set_ir_version(model.proto().ir_version());
  *mp.mutable_opset_import() = model.proto().opset_import();
  auto* g = mp.mutable_graph();
  g->set_name("fold");
  *g->add_node() = node;
  std::set<std::string> added;
  for (const auto& in : node.input()) {
    if (in.empty() || !added.insert(in).second) continue;
    auto c = consts.find(in);
    if (c != consts.end()) {
      *g->add_initializer() = tensor_to_proto(c->second, in);
    } else {
      *g->add_initializer() = *inits.at(in);
    }
  }
  for (const auto& o : node.output()) {
    if (!o.empty()) g->add_output()->set_name(o);
  }
  try {
    auto session = rt::Session::create(Model(std::move(mp), model.path()));
    auto results = session->run({});
    for (auto& [name, t] : results) (*out)[name] = std::move(t);
    return true;
  } catch (const Error& e) {
    ctx.log().debug("fold-constants: cannot fold {}: {}", describe_node(node), e.what());
    return false;
  }
}

}  // namespace

void FoldConstants::run(Model& model, PassContext& ctx) {
  auto& g = model.graph();
  const int64_t max_bytes = opts_.get_int("max_bytes");
  const bool old_ir = model.proto().ir_version() < 4;

  const std::set<std::string> graph_inputs = fed_inputs(model);
  std::set<std::string> graph_outputs;
  for (const auto& o : g.output()) graph_outputs.insert(o.name());
  std::map<std::string, const onnx::TensorProto*> inits;  // true constants only
  std::set<std::string> overridable;  // initializers a caller may override (listed as inputs)
  for (const auto& t : g.initializer()) {
    if (graph_inputs.count(t.name())) {
      overridable.insert(t.name());
    } else {
      inits[t.name()] = &t;
    }
  }
  int blocked = 0;  // nodes left because an input is an overridable initializer

  GraphIndex index(g);
  const std::vector<int> order = index.topological_order();
  const size_t n = static_cast<size_t>(g.node_size());
  std::vector<bool> folded(n, false);
  std::map<std::string, Tensor> consts;
  for (int i : order) {
    const auto& node = g.node(i);
    if (!foldable_op(node)) continue;
    bool all_const = true, only_overridable_missing = true;
    for (const auto& in : node.input()) {
      if (!in.empty() && !consts.count(in) && !inits.count(in)) {
        all_const = false;
        only_overridable_missing = only_overridable_missing && overridable.count(in);
      }
    }
    if (!all_const) {
      blocked += only_overridable_missing;
      continue;
    }
    std::map<std::string, Tensor> results;
    if (!evaluate(model, node, inits, consts, &results, ctx)) continue;
    for (auto& [name, t] : results) consts[name] = std::move(t);
    folded[static_cast<size_t>(i)] = true;
  }

  // Values that must exist after the pass: read by a node that stays, a subgraph or the caller.
  std::set<std::string> needed = subgraph_reads(g);
  needed.insert(graph_outputs.begin(), graph_outputs.end());
  for (size_t i = 0; i < n; ++i) {
    if (folded[i]) continue;
    for (const auto& in : g.node(static_cast<int>(i)).input()) needed.insert(in);
  }
  // Folded nodes whose needed outputs cannot become initializers stay (reverse order, so
  // that their constant inputs become needed before their producers are visited).
  std::vector<bool> keep(n, false);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const size_t i = static_cast<size_t>(*it);
    if (!folded[i]) continue;
    const auto& node = g.node(*it);
    bool stay = false;
    for (const auto& o : node.output()) {
      if (o.empty() || !needed.count(o)) continue;
      const Tensor& t = consts.at(o);
      if (static_cast<int64_t>(t.nbytes()) > max_bytes || (old_ir && graph_outputs.count(o))) stay = true;
    }
    if (!stay) continue;
    keep[i] = true;
    for (const auto& in : node.input()) needed.insert(in);
  }

  std::vector<bool> remove(n, false);
  std::set<std::string> gone, fed;  // outputs and inputs of removed nodes
  std::vector<std::string> materialize;
  int folded_count = 0, constant_count = 0;
  for (int i : order) {
    const size_t k = static_cast<size_t>(i);
    if (!folded[k] || keep[k]) continue;
    remove[k] = true;
    const auto& node = g.node(i);
    ++(node.op_type() == "Constant" ? constant_count : folded_count);
    fed.insert(node.input().begin(), node.input().end());
    for (const auto& o : node.output()) {
      if (o.empty()) continue;
      gone.insert(o);
      if (needed.count(o)) materialize.push_back(o);
    }
  }
  int64_t bytes = 0;
  erase_value_infos(g, gone);
  erase_nodes(g, remove);
  for (const auto& name : materialize) {
    const Tensor& t = consts.at(name);
    bytes += static_cast<int64_t>(t.nbytes());
    add_initializer(model, t, name);
  }
  // Initializers that only fed folded nodes are not needed any more.
  const int dropped = erase_unused_initializers(g, fed);
  ctx.log().debug("fold-constants: folded {} nodes and {} Constant nodes into {} initializers", folded_count,
                  constant_count, materialize.size());
  if (ctx.stage) {
    ctx.stage->metrics["folded_nodes"] = folded_count;
    ctx.stage->metrics["constant_nodes"] = constant_count;
    ctx.stage->metrics["new_initializers"] = static_cast<double>(materialize.size());
    ctx.stage->metrics["new_initializer_bytes"] = static_cast<double>(bytes);
    ctx.stage->metrics["removed_initializers"] = dropped;
  }
  if (blocked > 0) {
    const std::string why = std::to_string(blocked) +
                            " nodes not folded: they read initializers that are also graph inputs a caller may "
                            "override (run remove-initializer-inputs first to make them constants)";
    if (ctx.stage) ctx.stage->notes.push_back(why);
    ctx.log().warn("fold-constants: {}", why);
  }
}

}  // namespace edge::pass
