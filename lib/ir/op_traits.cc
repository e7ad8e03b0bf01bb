#include "ir/op_traits.h"

#include <map>

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "ir/saturating.h"

namespace edge {

namespace {

const std::map<std::string, const OpTraits*>& traits_by_name() {
  static const std::map<std::string, const OpTraits*> index = [] {
    std::map<std::string, const OpTraits*> m;
    for (const auto& t : all_op_traits()) m.emplace(t.op_type, &t);
    return m;
  }();
  return index;
}

// Product of dims [from, to) saturating at INT64_MAX; dims must be non-negative.
int64_t dims_product(const Shape& s, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t p = 1;
  for (size_t i = from; i < s.size() && i < to; ++i) p = sat_mul(p, s[i]);
  return p;
}

bool known(const Shape& s) {
  for (int64_t d : s) {
    if (d < 0) return false;
  }
  return true;
}

}  // namespace

const std::vector<OpTraits>& all_op_traits() {
  static const std::vector<OpTraits> table = {
#define EDGE_OP_TRAITS(op, weight, bias, axis, macs, flags) \
  OpTraits{#op, weight, bias, ChannelAxis::k##axis, MacRule::k##macs, static_cast<uint32_t>(flags)},
#include "ir/op_traits.def"
#undef EDGE_OP_TRAITS
  };
  return table;
}

const OpTraits& op_traits(const std::string& op_type) {
  static const OpTraits kNone;
  const auto& index = traits_by_name();
  auto it = index.find(op_type);
  return it == index.end() ? kNone : *it->second;
}

const OpTraits& op_traits(const onnx::NodeProto& node) {
  return op_traits(is_onnx_op(node) ? node.op_type() : std::string());
}

int64_t WeightChannels::channel_of(int64_t e) const {
  const auto a = static_cast<size_t>(axis);
  const int64_t per_group = weight_shape[a];
  const int64_t inner = dims_product(weight_shape, a + 1);
  const int64_t leading = e / (inner * per_group);
  const int64_t leading_per_group = dims_product(weight_shape, 0, a) / groups;
  return (leading / leading_per_group) * per_group + (e / inner) % per_group;
}

std::optional<WeightChannels> weight_channels(const onnx::NodeProto& node, const Shape& weight_shape) {
  const OpTraits& t = op_traits(node);
  const int64_t rank = static_cast<int64_t>(weight_shape.size());
  if (!known(weight_shape) || saturated(dims_product(weight_shape))) return std::nullopt;
  WeightChannels w;
  w.weight_shape = weight_shape;
  switch (t.channel_axis) {
    case ChannelAxis::kNone:
      return std::nullopt;
    case ChannelAxis::kAxis0:
      if (rank < 1) return std::nullopt;
      w.axis = 0;
      break;
    case ChannelAxis::kAxis1PerGroup:
      if (rank < 2) return std::nullopt;
      w.axis = 1;
      w.groups = NodeAttrs(node).get_int("group", 1);
      if (w.groups < 1 || weight_shape[0] % w.groups != 0 || weight_shape[0] < w.groups) return std::nullopt;
      break;
    case ChannelAxis::kGemmB:
      if (rank != 2) return std::nullopt;
      w.axis = NodeAttrs(node).get_int("transB", 0) != 0 ? 0 : 1;
      break;
    case ChannelAxis::kLast:
      if (rank < 2) return std::nullopt;
      w.axis = static_cast<int>(rank - 1);
      break;
  }
  w.channels = weight_shape[static_cast<size_t>(w.axis)] * w.groups;  // groups <= shape[0]: no overflow
  return w;
}

int64_t node_macs(const onnx::NodeProto& node, const NodeShapes& shapes) {
  const OpTraits& t = op_traits(node);
  auto shape = [](const std::vector<std::optional<Shape>>& v, int i) -> const Shape* {
    if (i < 0 || static_cast<size_t>(i) >= v.size() || !v[static_cast<size_t>(i)]) return nullptr;
    const Shape& s = *v[static_cast<size_t>(i)];
    return known(s) ? &s : nullptr;
  };
  const Shape* x = shape(shapes.inputs, 0);
  const Shape* w = shape(shapes.inputs, t.weight_input);
  const Shape* y = shape(shapes.outputs, 0);
  switch (t.mac_rule) {
    case MacRule::kNone:
      return -1;
    case MacRule::kConv:
      if (!w || !y || w->size() < 2) return -1;
      return sat_mul(dims_product(*y), dims_product(*w, 1));
    case MacRule::kConvTranspose:
      if (!x || !w || w->size() < 2) return -1;
      return sat_mul(dims_product(*x), dims_product(*w, 1));
    case MacRule::kGemm:
    case MacRule::kMatMul: {
      if (!x || !y || x->empty()) return -1;
      int64_t k = x->back();
      if (t.mac_rule == MacRule::kGemm && x->size() == 2 && NodeAttrs(node).get_int("transA", 0) != 0) k = (*x)[0];
      return sat_mul(dims_product(*y), k);
    }
  }
  return -1;
}

int64_t node_macs(const onnx::NodeProto& node, const GraphIndex& index) {
  if (op_traits(node).mac_rule == MacRule::kNone) return -1;
  auto lookup = [&](const std::string& name) -> std::optional<Shape> {
    Shape s;
    if (name.empty()) return std::nullopt;
    if (!index.shape(name, &s)) {
      // A quantized weight: DequantizeLinear keeps the shape of its (initializer) input.
      const int p = index.producer(name);
      if (p < 0) return std::nullopt;
      const auto& dq = index.graph().node(p);
      if (dq.op_type() != "DequantizeLinear" || dq.input_size() < 1 || !index.shape(dq.input(0), &s)) {
        return std::nullopt;  // (a node of another domain can have any arity)
      }
    }
    for (auto& d : s) {
      if (d < 0) d = 1;
    }
    return s;
  };
  NodeShapes shapes;
  for (const auto& in : node.input()) shapes.inputs.push_back(lookup(in));
  for (const auto& out : node.output()) shapes.outputs.push_back(lookup(out));
  return node_macs(node, shapes);
}

}  // namespace edge
