#include "passes/quantize/quant_plan.h"

#include <algorithm>
#include <set>

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"

namespace edge::pass::quant {

std::vector<std::string> QuantPlan::calibrated() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : tensors) {
    if (t.source == name && !t.constant) out.push_back(name);
  }
  return out;  // std::map order: sorted
}

int QuantPlan::count(NodeQuant::Kind kind) const {
  return static_cast<int>(
      std::count_if(nodes.begin(), nodes.end(), [&](const NodePlan& n) { return n.q.kind == kind; }));
}

namespace {

struct Planner {
  const QuantGraph& g;
  const PlanOptions& o;
  const QuantizerRegistry& registry;
  QuantPlan plan;

  const onnx::NodeProto& node(int i) const { return g.graph().node(i); }

  // The only reader of value `out` when nothing else sees it (graph outputs, subgraphs).
  int only_reader(const std::string& out) const {
    const auto& readers = g.index().consumers(out);
    if (readers.size() != 1 || g.is_graph_output(out) || g.read_by_subgraph(out)) return -1;
    return readers[0];
  }

  // The activation that can fold into a layer whose result is `out`.
  int foldable_activation(const std::string& out) const {
    const int a = only_reader(out);
    if (a < 0) return -1;
    const NodePlan& act = plan.nodes[static_cast<size_t>(a)];
    if (act.q.kind != NodeQuant::kActivation || node(a).input(0) != out) return -1;
    return a;
  }

  // An Add(out, constant) that can be layer `i`'s bias: the constant is float and holds one
  // value per output channel (or one), broadcasting along the layer's channel axis only.
  int foldable_bias_add(int i, int* bias_input, Shape* bias_shape) const {
    const NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    if (p.q.bias_axis == 0 || p.q.bias >= 0) return -1;
    const std::string& out = node(i).output(0);
    const int a = only_reader(out);
    if (a < 0 || !is_onnx_op(node(a)) || node(a).op_type() != "Add" || node(a).input_size() != 2) return -1;
    if (plan.nodes[static_cast<size_t>(a)].q.kind != NodeQuant::kCompute) return -1;  // excluded, not float...
    const int k = node(a).input(0) == out ? 1 : 0;
    const std::string& b = node(a).input(k);
    Shape y;
    const auto bias = g.constant(b);
    if (b == out || !g.is_float(b) || !bias || !g.index().shape(out, &y) || bias->rank() > static_cast<int>(y.size())) {
      return -1;
    }
    const int rank = static_cast<int>(y.size());
    const int axis = p.q.bias_axis < 0 ? rank - 1 : p.q.bias_axis;
    if (axis >= rank) return -1;
    const int pad = rank - bias->rank();
    for (int d = 0; d < bias->rank(); ++d) {
      const int64_t dim = bias->dim(d);
      if (dim != 1 && !(d + pad == axis && dim == p.q.channels)) return -1;
    }
    *bias_input = k;
    // Broadcasts like the original: [C, 1, ..., 1] up to the last axis.
    *bias_shape = Shape(static_cast<size_t>(rank - axis), 1);
    (*bias_shape)[0] = p.q.channels;
    return a;
  }

  // Whether value `v` is an activation input of a quantized layer, directly or through
  // pass-through nodes.
  bool feeds_quantized_layer(const std::string& v, int depth) const {
    if (depth > 32) return false;
    for (int c : g.index().consumers(v)) {
      const NodePlan& p = plan.nodes[static_cast<size_t>(c)];
      const auto& n = node(c);
      if (p.q.kind == NodeQuant::kCompute) {
        for (int k : p.q.activations) {
          if (n.input(k) == v) return true;
        }
      }
      if (p.q.kind == NodeQuant::kPassThrough && n.input(0) == v && feeds_quantized_layer(n.output(0), depth + 1)) {
        return true;
      }
    }
    return false;
  }

  void decide(int i) {
    const auto& n = node(i);
    NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    p.quantizer = registry.find(n);
    const LayerChoice choice = o.layer ? o.layer(n) : LayerChoice{};
    p.weights = choice.weights;
    if (!p.quantizer) {
      p.q = NodeQuant::float_op(is_onnx_op(n) ? "no int8 quantizer for " + n.op_type()
                                              : "op of domain '" + n.domain() + "' has no int8 quantizer");
    } else if (has_subgraph(n)) {
      p.q = NodeQuant::float_op("has a subgraph");
    } else if (choice.excluded) {
      p.q = NodeQuant::float_op(choice.reason.empty() ? "excluded by a layer rule" : choice.reason);
    } else {
      p.q = p.quantizer->analyze(n, g, o.format);
    }
    if (p.q.weight_axis < 0 || !o.per_axis_allowed) p.weights.per_channel = false;
  }

  void place(int i) {
    const auto& n = node(i);
    NodePlan& p = plan.nodes[static_cast<size_t>(i)];
    switch (p.q.kind) {
      case NodeQuant::kFloat:
      case NodeQuant::kBias:
        return;
      case NodeQuant::kActivation:
        if (p.folded_into < 0) p.q = NodeQuant::float_op("its input does not come from a quantized layer");
        return;
      case NodeQuant::kPassThrough: {
        auto it = plan.tensors.find(n.input(0));
        if (it == plan.tensors.end() || it->second.producer < 0) {
          // A float input (a graph input, a float layer's output) is quantized here when the
          // output feeds quantized layers: input -> Flatten -> Gemm runs Flatten on 8 bits.
          if (!feeds_quantized_layer(n.output(0), 0)) {
            p.q = NodeQuant::float_op("its input does not come from a quantized layer");
            return;
          }
          if (it == plan.tensors.end()) {
            TensorPlan in;
            in.source = n.input(0);
            in.constant = g.is_constant(n.input(0));
            it = plan.tensors.emplace(n.input(0), in).first;
          }
        }
        p.output = n.output(0);
        TensorPlan t;
        t.source = it->second.source;
        t.producer = i;
        plan.tensors[p.output] = t;
        return;
      }
      case NodeQuant::kCompute: {
        for (int k : p.q.activations) {
          const std::string& x = n.input(k);
          if (plan.tensors.count(x)) continue;
          TensorPlan t;
          t.source = x;
          t.constant = g.is_constant(x);
          plan.tensors[x] = t;
        }
        TensorPlan t;
        t.producer = i;
        std::string result = n.output(0);
        int bias_input = -1;
        Shape bias_shape;
        p.bias_add = foldable_bias_add(i, &bias_input, &bias_shape);
        if (p.bias_add >= 0) {
          NodePlan& add = plan.nodes[static_cast<size_t>(p.bias_add)];
          add.q = NodeQuant{};
          add.q.kind = NodeQuant::kBias;
          add.folded_into = i;
          add.bias_input = bias_input;
          add.bias_shape = bias_shape;
          result = node(p.bias_add).output(0);
        }
        p.folded = foldable_activation(result);
        if (p.folded >= 0) {
          NodePlan& act = plan.nodes[static_cast<size_t>(p.folded)];
          act.folded_into = i;
          result = node(p.folded).output(0);
          t.lo = act.q.lo;
          t.hi = act.q.hi;
        }
        p.output = result;
        t.source = p.output;
        plan.tensors[p.output] = t;
        return;
      }
    }
  }
};

}  // namespace

QuantPlan plan_quantization(const QuantGraph& g, const PlanOptions& o, const QuantizerRegistry& registry) {
  Planner pl{g, o, registry, {}};
  pl.plan.format = o.format;
  pl.plan.nodes.resize(static_cast<size_t>(g.graph().node_size()));
  pl.plan.order = g.index().topological_order();
  for (int i : pl.plan.order) pl.decide(i);
  for (int i : pl.plan.order) pl.place(i);
  return pl.plan;
}

std::map<std::string, QParams> plan_params(const QuantPlan& plan, const QuantGraph& g,
                                           const std::map<std::string, Range>& ranges, QType type) {
  std::map<std::string, QParams> out;
  for (const auto& [name, t] : plan.tensors) {
    if (t.source != name) continue;
    double lo, hi;
    if (t.constant) {
      const Tensor v = *g.constant(name);
      lo = hi = 0;
      for (int64_t i = 0; i < v.numel(); ++i) {
        lo = std::min(lo, v.get_double(i));
        hi = std::max(hi, v.get_double(i));
      }
    } else {
      auto it = ranges.find(name);
      if (it == ranges.end()) fail_internal("quantize: no calibrated range for '" + name + "'");
      lo = std::max(it->second.lo, t.lo);
      hi = std::min(it->second.hi, t.hi);
    }
    out[name] = range_params(lo, std::max(lo, hi), type);
  }
  for (const auto& [name, t] : plan.tensors) {
    if (t.source != name) out[name] = out.at(t.source);
  }
  return out;
}

}  // namespace edge::pass::quant
