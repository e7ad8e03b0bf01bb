// eliminate-dead: removes nodes whose outputs reach no graph output, initializers nobody
// reads (with their graph.input entries, as IR < 4 models list them there), and value_info
// entries of values that no longer exist. Subgraphs are cleaned the same way (their outputs
// are the roots), and values that subgraphs read from enclosing graphs stay alive.
//
// Before:                                 After:
//   <float[4] w, float[4] unused>           <float[4] w>
//   a = Add(x, w)                           a = Add(x, w)
//   d = Mul(x, x)      # read by nobody     y = Relu(a)
//   y = Relu(a)
//
// Graph inputs that a caller feeds are never removed (they are the model's interface).
#include <set>

#include "ir/graph_edit.h"
#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* EliminateDead::summary() {
  return "remove nodes, initializers and value infos that do not contribute to any graph output";
}

std::vector<OptionSpec> EliminateDead::options() { return {}; }

namespace {

struct Counts {
  int nodes = 0, initializers = 0, value_infos = 0;
};

// Values read by `n` itself and by its subgraphs from enclosing scopes.
std::set<std::string> node_reads(const onnx::NodeProto& n) {
  onnx::GraphProto one;
  *one.add_node() = n;
  std::set<std::string> r = subgraph_reads(one);
  for (const auto& i : n.input()) {
    if (!i.empty()) r.insert(i);
  }
  return r;
}

void eliminate(onnx::GraphProto& g, Counts* counts) {
  for (auto& node : *g.mutable_node()) {
    for (auto& a : *node.mutable_attribute()) {
      if (a.has_g()) eliminate(*a.mutable_g(), counts);
      for (auto& sg : *a.mutable_graphs()) eliminate(sg, counts);
    }
  }
  std::set<std::string> live;
  for (const auto& o : g.output()) live.insert(o.name());
  const size_t n = static_cast<size_t>(g.node_size());
  std::vector<bool> alive(n, false);
  // Nodes are normally in topological order, so one reverse sweep settles it; repeat until
  // nothing changes to be safe with unsorted graphs.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = n; k-- > 0;) {
      if (alive[k]) continue;
      const auto& node = g.node(static_cast<int>(k));
      bool used = false;
      for (const auto& o : node.output()) used = used || (!o.empty() && live.count(o));
      if (!used) continue;
      alive[k] = true;
      changed = true;
      const bool has_sub = has_subgraph(node);
      if (has_sub) {
        for (const auto& r : node_reads(node)) live.insert(r);
      } else {
        for (const auto& i : node.input()) {
          if (!i.empty()) live.insert(i);
        }
      }
    }
  }
  std::vector<bool> remove(n, false);
  for (size_t k = 0; k < n; ++k) {
    remove[k] = !alive[k];
    counts->nodes += remove[k] ? 1 : 0;
  }
  erase_nodes(g, remove);

  std::set<std::string> dead_inits;
  for (const auto& t : g.initializer()) {
    if (!live.count(t.name())) dead_inits.insert(t.name());
  }
  counts->initializers += static_cast<int>(dead_inits.size());
  erase_initializers(g, dead_inits);

  std::set<std::string> defined;
  for (const auto& i : g.input()) defined.insert(i.name());
  for (const auto& t : g.initializer()) defined.insert(t.name());
  for (const auto& node : g.node()) {
    for (const auto& o : node.output()) defined.insert(o);
  }
  std::set<std::string> stale;
  for (const auto& vi : g.value_info()) {
    if (!defined.count(vi.name())) stale.insert(vi.name());
  }
  counts->value_infos += static_cast<int>(stale.size());
  erase_value_infos(g, stale);
}

}  // namespace

void EliminateDead::run(Model& model, PassContext& ctx) {
  Counts c;
  eliminate(model.graph(), &c);
  ctx.log().debug("eliminate-dead: removed {} nodes, {} initializers, {} value infos", c.nodes, c.initializers,
                  c.value_infos);
  if (ctx.stage) {
    ctx.stage->metrics["removed_nodes"] = c.nodes;
    ctx.stage->metrics["removed_initializers"] = c.initializers;
  }
}

}  // namespace edge::pass
