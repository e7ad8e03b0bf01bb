// The graph surgery of prune-channels: slices the constants a ChannelAnalysis listed.
//
// Before (group g = {conv1, conv2} joined by the Add, keeping channels {0, 2} of 4):
//   a = Conv(x, W1[4,C,3,3]);  b = BatchNormalization(a, s[4], B[4], m[4], v[4])
//   c = Conv(x, W2[4,C,1,1]);  d = Add(b, c);  y = Conv(d, W3[M,4,3,3])
// After:
//   a = Conv(x, W1[2,C,3,3]);  b = BatchNormalization(a, s[2], B[2], m[2], v[2])
//   c = Conv(x, W2[2,C,1,1]);  d = Add(b, c);  y = Conv(d, W3[M,2,3,3])
#include <set>

#include "ir/graph_edit.h"
#include "ir/node_attrs.h"
#include "ir/tensor_proto.h"
#include "ir/tensor_select.h"
#include "passes/prune/prune_channels_groups.h"

namespace edge::pass::prune {

int64_t ChannelLayout::channels() const {
  int64_t c = 0;
  for (const auto& s : segments) c += s.length;
  return c;
}

std::vector<int64_t> kept_indices(const ChannelLayout& layout, const std::map<int, std::vector<int64_t>>& kept) {
  std::vector<int64_t> units;
  int64_t offset = 0;
  for (const auto& s : layout.segments) {
    auto it = s.group >= 0 ? kept.find(s.group) : kept.end();
    if (it == kept.end()) {
      for (int64_t k = 0; k < s.length; ++k) units.push_back(offset + k);
    } else {
      for (int64_t k : it->second) units.push_back(offset + k);
    }
    offset += s.length;
  }
  std::vector<int64_t> out;
  for (int64_t u : units) {
    for (int64_t k = 0; k < layout.inner; ++k) out.push_back(u * layout.inner + k);
  }
  return out;
}

namespace {

bool touches(const ChannelLayout& l, const std::map<int, std::vector<int64_t>>& kept) {
  for (const auto& s : l.segments) {
    if (s.group >= 0 && kept.count(s.group)) return true;
  }
  return false;
}

// Sets the dims of graph input `name` (IR < 4 lists initializers as inputs) to `shape`.
void update_graph_input(onnx::GraphProto& g, const std::string& name, const Shape& shape) {
  for (auto& in : *g.mutable_input()) {
    if (in.name() != name || !in.type().has_tensor_type()) continue;
    auto* s = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    s->clear_dim();
    for (int64_t d : shape) s->add_dim()->set_dim_value(d);
  }
}

}  // namespace

void apply_kept_channels(Model& model, const ChannelAnalysis& analysis,
                         const std::map<int, std::vector<int64_t>>& kept) {
  auto& g = model.graph();
  // How many node input slots (and subgraphs / graph outputs) read each name.
  std::map<std::string, int> readers;
  for (const auto& n : g.node()) {
    for (const auto& in : n.input()) ++readers[in];
  }
  for (const auto& name : subgraph_reads(g)) readers[name] += 2;
  for (const auto& o : g.output()) readers[o.name()] += 2;
  std::map<std::string, int> init_pos;
  for (int i = 0; i < g.initializer_size(); ++i) init_pos[g.initializer(i).name()] = i;
  std::set<std::string> taken = all_names(g), candidates;

  // Every (node, input) with its slices, each axis once.
  std::map<std::pair<int, int>, std::map<int, const ChannelLayout*>> slices;
  for (const auto& e : analysis.inputs) {
    if (touches(e.layout, kept)) slices[{e.node, e.input}].emplace(e.axis, &e.layout);
  }
  auto store = [&](onnx::NodeProto& node, int slot, const Tensor& t) {
    const std::string old = node.input(slot);
    if (readers[old] == 1 && init_pos.count(old)) {
      *g.mutable_initializer(init_pos.at(old)) = tensor_to_proto(t, old);
      update_graph_input(g, old, t.shape());
      return;
    }
    const std::string name = fresh_name(taken, old + "_pruned");
    add_initializer(model, t, name);
    node.set_input(slot, name);
    --readers[old];
    candidates.insert(old);
  };
  for (const auto& [key, axes] : slices) {
    auto& node = *g.mutable_node(key.first);
    const std::string name = node.input(key.second);
    const auto* proto = init_pos.count(name) ? &g.initializer(init_pos.at(name)) : nullptr;
    if (!proto) fail_internal("prune-channels: " + describe_node(node) + ": '" + name + "' is not an initializer");
    Tensor t = read_initializer(model, *proto);
    for (const auto& [axis, layout] : axes) t = select_along_axis(t, axis, kept_indices(*layout, kept));
    store(node, key.second, t);
  }
  std::set<int> done;
  for (const auto& e : analysis.nodes) {
    if (!touches(e.layout, kept) || !done.insert(e.node).second) continue;
    auto& node = *g.mutable_node(e.node);
    const auto channels = static_cast<int64_t>(kept_indices(e.layout, kept).size()) / e.layout.inner;
    if (e.kind == NodeEdit::kDepthwiseGroup) {
      for (auto& a : *node.mutable_attribute()) {
        if (a.name() == "group") a.set_i(channels);
      }
    } else {
      const std::string& shape_name = node.input(1);
      Tensor shape = read_initializer(model, g.initializer(init_pos.at(shape_name)));
      std::vector<int64_t> dims = shape.to_int64_vector();
      if (dims.size() != 2) fail_internal("prune-channels: " + describe_node(node) + ": flatten shape is not 2-D");
      if (dims[1] == -1) continue;
      dims[1] = channels * e.layout.inner * e.spatial;
      store(node, 1, Tensor::from_vector<int64_t>({2}, dims));
    }
  }
  std::set<std::string> stale;
  for (const auto& [name, layout] : analysis.values) {
    if (touches(layout, kept)) stale.insert(name);
  }
  erase_value_infos(g, stale);
  erase_unused_initializers(g, candidates);
}

}  // namespace edge::pass::prune
