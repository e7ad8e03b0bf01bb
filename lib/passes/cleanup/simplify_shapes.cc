// simplify-shapes: uses shape inference to replace Shape nodes of fully static inputs by
// int64 initializers (honouring opset-15 start/end) and to remove no-op nodes: Reshape,
// Expand and Tile whose static output shape equals their static input shape, and Cast to
// the input's own type. fold-constants then folds what the new constants feed.
//
// Before:  (x: float[1, 8])                  After:
//   s = Shape(x)                               <int64[2] s = {1, 8}>
//   r = Reshape(x, s)                          y = Relu(x)
//   y = Relu(r)
//
// Only the main graph is edited. A Shape node producing a graph output stays in IR < 4
// models (an initializer must be a graph input there).
#include <algorithm>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* SimplifyShapes::summary() {
  return "replace Shape of static tensors by constants and remove no-op Reshape/Expand/Tile/Cast";
}

std::vector<OptionSpec> SimplifyShapes::options() { return {}; }

namespace {

bool same_static_shape(const GraphIndex& idx, const std::string& a, const std::string& b) {
  Shape sa, sb;
  return idx.static_shape(a, &sa) && idx.static_shape(b, &sb) && sa == sb;
}

bool noop(const GraphIndex& idx, const onnx::NodeProto& n) {
  if (!is_onnx_op(n) || n.input_size() < 1 || n.output_size() != 1 || n.input(0).empty()) return false;
  const std::string& op = n.op_type();
  if (op == "Reshape" || op == "Expand" || op == "Tile") return same_static_shape(idx, n.input(0), n.output(0));
  if (op == "Cast") {
    const int32_t t = idx.elem_type(n.input(0));
    const NodeAttrs attrs(n);
    return t != 0 && attrs.has("to") && attrs.get_int("to", 0) == t;
  }
  return false;
}

}  // namespace

void SimplifyShapes::run(Model& model, PassContext& ctx) {
  model.infer_shapes();
  auto& g = model.graph();
  const bool old_ir = model.proto().ir_version() < 4;
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());

  // 1. Shape of a static tensor -> constant.
  std::vector<bool> remove(static_cast<size_t>(g.node_size()), false);
  std::vector<std::pair<std::string, Tensor>> constants;
  const GraphIndex before(g);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!is_onnx_op(n) || n.op_type() != "Shape" || n.input_size() != 1 || n.output_size() != 1) continue;
    Shape dims;
    if (!before.static_shape(n.input(0), &dims)) continue;
    if (old_ir && outputs.count(n.output(0))) continue;
    const int64_t rank = static_cast<int64_t>(dims.size());
    auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const NodeAttrs attrs(n);
    const int64_t start = clamp(attrs.get_int("start", 0)), end = clamp(attrs.get_int("end", rank));
    std::vector<int64_t> vals;
    for (int64_t d = start; d < end; ++d) vals.push_back(dims[static_cast<size_t>(d)]);
    const int64_t len = static_cast<int64_t>(vals.size());
    constants.emplace_back(n.output(0), Tensor::from_vector<int64_t>({len}, vals));
    remove[static_cast<size_t>(i)] = true;
  }
  std::set<std::string> replaced;
  for (const auto& c : constants) replaced.insert(c.first);
  erase_nodes(g, remove);
  erase_value_infos(g, replaced);
  for (const auto& [name, t] : constants) add_initializer(model, t, name);

  // 2. No-op Reshape/Expand/Tile/Cast -> bypassed.
  std::vector<bool> candidates(static_cast<size_t>(g.node_size()), false);
  std::set<std::string> side_inputs;
  const GraphIndex after(g);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    if (!noop(after, n) || ctx.layer_excluded(n.name())) continue;
    candidates[static_cast<size_t>(i)] = true;
    for (int k = 1; k < n.input_size(); ++k) side_inputs.insert(n.input(k));
  }
  const int bypassed = bypass_nodes(g, candidates);
  const int dropped = erase_unused_initializers(g, side_inputs);
  ctx.log().debug("simplify-shapes: {} Shape nodes became constants, {} no-op nodes removed",
                  constants.size(), bypassed);
  if (ctx.stage) {
    ctx.stage->metrics["shape_constants"] = static_cast<double>(constants.size());
    ctx.stage->metrics["removed_noops"] = bypassed;
    ctx.stage->metrics["removed_initializers"] = dropped;
  }
}

}  // namespace edge::pass
