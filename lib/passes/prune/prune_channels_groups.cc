// The channel-group walk of prune-channels (see prune_channels_groups.h).
#include "passes/prune/prune_channels_groups.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "ir/graph_edit.h"
#include "ir/graph_index.h"
#include "ir/node_attrs.h"
#include "ir/op_traits.h"
#include "ir/saturating.h"

namespace edge::pass::prune {

namespace {

struct Walker {
  const Model& model;
  const onnx::GraphProto& g;
  GraphIndex index;
  std::function<bool(const onnx::NodeProto&)> excluded;
  std::set<std::string> fed, sub_reads;
  // Raw groups (one per producer) joined by union-find.
  std::vector<int> parent;
  std::vector<int64_t> channels;
  std::vector<std::vector<int>> producers, members;
  std::vector<std::string> blocked;
  ChannelAnalysis out;

  Walker(const Model& m, std::function<bool(const onnx::NodeProto&)> ex)
      : model(m), g(m.graph()), index(m.graph()), excluded(std::move(ex)) {
    fed = fed_inputs(m);
    sub_reads = subgraph_reads(g);
  }

  int find(int x) {
    while (parent[static_cast<size_t>(x)] != x) {
      const int up = parent[static_cast<size_t>(x)];
      x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(up)];
    }
    return x;
  }
  void block(int grp, const std::string& why) {
    if (grp < 0) return;
    std::string& b = blocked[static_cast<size_t>(find(grp))];
    if (b.empty()) b = why;
  }
  void block(const ChannelLayout& l, const std::string& why) {
    for (const auto& s : l.segments) block(s.group, why);
  }
  // Joins a and b; a group joined with never-pruned channels is blocked.
  void unite(int a, int b, const std::string& where) {
    if (a < 0 && b < 0) return;
    if (a < 0 || b < 0) return block(a < 0 ? b : a, where + " joins it with channels outside any group");
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (channels[static_cast<size_t>(a)] != channels[static_cast<size_t>(b)]) {
      block(a, where + " joins groups of different widths");
      block(b, where + " joins groups of different widths");
    }
    if (b < a) std::swap(a, b);
    parent[static_cast<size_t>(b)] = a;
    auto& ba = blocked[static_cast<size_t>(a)];
    if (ba.empty()) ba = blocked[static_cast<size_t>(b)];
    for (int p : producers[static_cast<size_t>(b)]) producers[static_cast<size_t>(a)].push_back(p);
    for (int p : members[static_cast<size_t>(b)]) members[static_cast<size_t>(a)].push_back(p);
  }
  bool unite_layouts(const ChannelLayout& a, const ChannelLayout& b, const std::string& where) {
    if (a.rank != b.rank || a.inner != b.inner || a.segments.size() != b.segments.size()) return false;
    for (size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].length != b.segments[i].length) return false;
    }
    for (size_t i = 0; i < a.segments.size(); ++i) unite(a.segments[i].group, b.segments[i].group, where);
    return true;
  }

  // A constant initializer a caller cannot override.
  const onnx::TensorProto* constant(const std::string& name) const {
    if (name.empty() || fed.count(name)) return nullptr;
    return index.initializer(name);
  }
  static Shape dims(const onnx::TensorProto& t) { return Shape(t.dims().begin(), t.dims().end()); }

  void note_member(const ChannelLayout& l, int node) {
    for (const auto& s : l.segments) {
      if (s.group >= 0) members[static_cast<size_t>(find(s.group))].push_back(node);
    }
  }
  // Records that input `slot` of node `n` (a constant) is sliced along `axis` by `l`.
  bool edit_input(int n, int slot, int axis, const ChannelLayout& l, bool terminal) {
    const auto& node = g.node(n);
    const std::string who = describe_node(node);
    if (excluded(node)) return block(l, "a layer rule excludes " + who + ", which reads its channels"), false;
    if (slot >= node.input_size() || node.input(slot).empty()) return true;
    const onnx::TensorProto* t = constant(node.input(slot));
    if (!t) return block(l, who + ": input '" + node.input(slot) + "' is not a constant initializer"), false;
    const Shape s = dims(*t);
    if (axis < 0 || axis >= static_cast<int>(s.size()) || s[static_cast<size_t>(axis)] != l.channels() * l.inner) {
      return block(l, who + ": input '" + node.input(slot) + "' does not have one entry per channel"), false;
    }
    out.inputs.push_back({n, slot, axis, l, terminal});
    note_member(l, n);
    return true;
  }

  // A new group for output channels of producer `n`; blocked with `why` when not "".
  ChannelLayout new_group(int n, int64_t c, int rank, const std::string& why) {
    const int id = static_cast<int>(parent.size());
    parent.push_back(id);
    channels.push_back(c);
    producers.push_back({n});
    members.push_back({});
    blocked.push_back(why);
    if (why.empty() && c < 2) blocked.back() = "it has a single channel";
    if (why.empty() && excluded(g.node(n))) blocked.back() = "a layer rule excludes it";
    return ChannelLayout{{{id, c}}, 1, rank};
  }

  void visit(int n);
  void read_input(int n, int slot, const ChannelLayout& l, ChannelLayout* result, bool* ok);
  void produce(int n);
  bool combine(int n, const std::vector<std::pair<int, ChannelLayout>>& tracked, ChannelLayout* result);
  std::string combine_inputs(int n, const std::vector<std::pair<int, ChannelLayout>>& tracked, ChannelLayout* result);
};

void Walker::produce(int n) {
  const auto& node = g.node(n);
  if (!is_onnx_op(node) || node.output_size() < 1 || node.output(0).empty()) return;
  const std::string& op = node.op_type();
  const NodeAttrs a(node);
  if (op == "Conv" && node.input_size() >= 2) {
    if (a.get_int("group", 1) != 1) return;
    const auto* w = constant(node.input(1));
    Shape ws;
    if (!w && !index.static_shape(node.input(1), &ws)) return;
    if (w) ws = dims(*w);
    if (ws.size() < 3) return;
    std::string why = w ? "" : "its weight is not a constant initializer";
    if (why.empty() && node.input_size() > 2 && !node.input(2).empty() && !constant(node.input(2))) {
      why = "its bias is not a constant initializer";
    }
    ChannelLayout l = new_group(n, ws[0], static_cast<int>(ws.size()), why);
    const int grp = l.segments[0].group;
    if (blocked[static_cast<size_t>(grp)].empty()) {
      out.inputs.push_back({n, 1, 0, l, false});
      if (node.input_size() > 2 && !node.input(2).empty()) out.inputs.push_back({n, 2, 0, l, false});
    }
    out.values[node.output(0)] = l;
  } else if (op == "Gemm" && node.input_size() >= 2) {
    const auto* b = constant(node.input(1));
    const bool trans_b = a.get_int("transB", 0) != 0;
    Shape bs;
    if (b) bs = dims(*b);
    else if (!index.static_shape(node.input(1), &bs)) return;
    if (bs.size() != 2) return;
    std::string why = b ? "" : "its weight is not a constant initializer";
    const int64_t c = bs[trans_b ? 0 : 1];
    ChannelLayout l = new_group(n, c, 2, why);
    const int grp = l.segments[0].group;
    if (blocked[static_cast<size_t>(grp)].empty()) {
      out.inputs.push_back({n, 1, trans_b ? 0 : 1, l, false});
      if (node.input_size() > 2 && !node.input(2).empty()) {
        const auto* cb = constant(node.input(2));
        if (!cb) {
          block(grp, "its bias C is not a constant initializer");
        } else {
          const Shape cs = dims(*cb);
          if (!cs.empty() && cs.back() == c && c > 1) {
            out.inputs.push_back({n, 2, static_cast<int>(cs.size()) - 1, l, false});
          } else if (!cs.empty() && cs.back() != 1) {
            block(grp, "its bias C of shape " + shape_str(cs) + " is not per column");
          }
        }
      }
    }
    out.values[node.output(0)] = l;
  }
}

void Walker::visit(int n) {
  const auto& node = g.node(n);
  std::vector<std::pair<int, ChannelLayout>> tracked;
  for (int i = 0; i < node.input_size(); ++i) {
    auto it = out.values.find(node.input(i));
    if (!node.input(i).empty() && it != out.values.end()) tracked.emplace_back(i, it->second);
  }
  if (!tracked.empty()) {
    ChannelLayout result;
    bool passes = false;
    if (!is_onnx_op(node)) {
      for (const auto& [slot, l] : tracked) block(l, describe_node(node) + " (not an ai.onnx op) reads it");
    } else if (op_traits(node).has(kElementwiseBinary) || node.op_type() == "Concat") {
      passes = combine(n, tracked, &result);
      if (passes && excluded(node)) {
        passes = false;
        for (const auto& [slot, l] : tracked) {
          block(l, "a layer rule excludes " + describe_node(node) + ", which reads its channels");
        }
      }
    } else {
      for (const auto& [slot, l] : tracked) read_input(n, slot, l, &result, &passes);
    }
    if (passes) {
      for (int k = 1; k < node.output_size(); ++k) {
        const std::string& o = node.output(k);
        if (!o.empty() && (!index.consumers(o).empty() || index.is_graph_output(o))) {
          block(result, describe_node(node) + " has a second output in use");
        }
      }
      out.values[node.output(0)] = result;
    }
  }
  if (!out.values.count(node.output_size() ? node.output(0) : std::string())) produce(n);
}

// An element-wise op or a Concat reading the tracked inputs: their groups are joined (or, for
// a Concat on axis 1, laid end to end). Blocks every tracked input when that fails.
bool Walker::combine(int n, const std::vector<std::pair<int, ChannelLayout>>& tracked, ChannelLayout* result) {
  const std::string why = combine_inputs(n, tracked, result);
  if (why.empty()) return true;
  for (const auto& [slot, l] : tracked) block(l, why);
  return false;
}

std::string Walker::combine_inputs(int n, const std::vector<std::pair<int, ChannelLayout>>& tracked,
                                   ChannelLayout* result) {
  const auto& node = g.node(n);
  const std::string who = describe_node(node);
  const ChannelLayout& l = tracked[0].second;
  if (node.op_type() == "Concat") {
    int64_t axis = NodeAttrs(node).get_int("axis", 0);
    if (axis < 0) axis += l.rank;
    if (axis == 1) {
      ChannelLayout r{{}, 1, l.rank};
      for (int i = 0; i < node.input_size(); ++i) {
        auto it = out.values.find(node.input(i));
        if (it != out.values.end()) {
          if (it->second.inner != 1 || it->second.rank != l.rank) return who + " concatenates flattened values";
          for (const auto& s : it->second.segments) r.segments.push_back(s);
          continue;
        }
        Shape s;
        if (!index.shape(node.input(i), &s) || s.size() < 2 || s[1] < 0) {
          return who + ": the channel count of '" + node.input(i) + "' is unknown";
        }
        r.segments.push_back({-1, s[1]});
      }
      *result = r;
      return "";
    }
    if (static_cast<int>(tracked.size()) != node.input_size()) {
      return who + " concatenates it with values outside its group";
    }
  }
  // Element-wise (or a Concat on another axis): every input follows the same channels.
  std::vector<std::pair<int, int>> edits;  // (input, axis) of per-channel constants
  for (int i = 0; i < node.input_size(); ++i) {
    const std::string& v = node.input(i);
    if (v.empty()) continue;
    auto it = out.values.find(v);
    if (it != out.values.end()) {
      if (!unite_layouts(l, it->second, who)) return who + " combines values whose channels do not line up";
      continue;
    }
    Shape s;
    if (!index.shape(v, &s)) return who + ": the shape of '" + v + "' is unknown";
    const int pos = static_cast<int>(s.size()) - l.rank + 1;
    if (pos < 0 || s[static_cast<size_t>(pos)] == 1) continue;
    if (s[static_cast<size_t>(pos)] != l.channels() * l.inner || !constant(v)) {
      return who + " also reads '" + v + "', whose channels are not pruned with it";
    }
    edits.emplace_back(i, pos);
  }
  for (const auto& [i, pos] : edits) {
    if (!edit_input(n, i, pos, l, false)) return who + ": a per-channel input cannot be sliced";
  }
  *result = l;
  return "";
}

// Node n reads layout l at input `slot`. Sets *result/*passes when its output 0 follows l.
void Walker::read_input(int n, int slot, const ChannelLayout& l, ChannelLayout* result, bool* passes) {
  const auto& node = g.node(n);
  const std::string& op = node.op_type();
  const std::string who = describe_node(node);
  const OpTraits& tr = op_traits(node);
  const NodeAttrs a(node);
  const int64_t c = l.channels();
  auto pass_through = [&](const ChannelLayout& r) {
    if (excluded(node)) return block(l, "a layer rule excludes " + who + ", which reads its channels");
    *result = r;
    *passes = true;
  };
  if (op == "Conv" && slot == 0 && l.inner == 1) {
    const int64_t grp = a.get_int("group", 1);
    const auto* w = constant(node.input(1));
    const Shape ws = w ? dims(*w) : Shape{};
    if (grp == 1) {
      edit_input(n, 1, 1, l, true);
    } else if (w && grp == c && ws.size() >= 3 && ws[0] == c && ws[1] == 1) {  // depthwise
      if (excluded(node)) return block(l, "a layer rule excludes " + who + ", which reads its channels");
      if (!edit_input(n, 1, 0, l, false)) return;
      if (node.input_size() > 2 && !node.input(2).empty() && !edit_input(n, 2, 0, l, false)) return;
      out.nodes.push_back({NodeEdit::kDepthwiseGroup, n, l, 1});
      pass_through(l);
    } else {
      block(l, who + " is a grouped Conv (group " + std::to_string(grp) + ") that is not depthwise");
    }
  } else if (op == "ConvTranspose" && slot == 0 && l.inner == 1 && a.get_int("group", 1) == 1) {
    edit_input(n, 1, 0, l, true);
  } else if (op == "Gemm" && slot == 0 && l.rank == 2 && a.get_int("transA", 0) == 0) {
    edit_input(n, 1, a.get_int("transB", 0) ? 1 : 0, l, true);
  } else if (op == "MatMul" && slot == 0 && l.rank == 2 && constant(node.input(1)) &&
             constant(node.input(1))->dims_size() == 2) {
    edit_input(n, 1, 0, l, true);
  } else if (tr.has(kPerChannel) && slot == 0) {
    for (int i = 1; i < node.input_size(); ++i) {
      if (node.input(i).empty()) continue;
      const auto* p = constant(node.input(i));
      if (!p) return block(l, who + ": parameter '" + node.input(i) + "' is not a constant initializer");
      const Shape ps = dims(*p);
      int64_t numel = 1;
      for (int64_t d : ps) numel = sat_mul(numel, d);
      if (numel == 1) continue;
      if (ps.size() != 1 || !edit_input(n, i, 0, l, false)) {
        return block(l, who + ": parameter '" + node.input(i) + "' is not per channel");
      }
    }
    pass_through(l);
  } else if ((tr.has(kElementwiseUnary) && slot == 0) || ((op == "Identity" || op == "Dropout") && slot == 0)) {
    pass_through(l);
  } else if ((op == "Flatten" && a.get_int("axis", 1) == 1) || op == "Reshape" || op == "Squeeze") {
    Shape in, os;
    bool known = slot == 0 && index.shape(node.input(0), &in) && index.shape(node.output(0), &os);
    int64_t spatial = 1;
    for (size_t d = 2; known && d < in.size(); ++d) {
      known = in[d] >= 0;
      spatial *= in[d];
    }
    if (!known) return block(l, who + ": the shapes around it are unknown");
    if (op == "Squeeze") {
      if (spatial != 1 || os.size() != 2) return block(l, who + " is not a squeeze of unit spatial dims");
      return pass_through(ChannelLayout{l.segments, l.inner, 2});
    }
    if (os.size() != 2 || (os[1] >= 0 && os[1] != c * l.inner * spatial)) {
      return block(l, who + " is not a flatten of [N, C, ...] into [N, C*...]");
    }
    if (op == "Reshape") {
      const auto* sh = constant(node.input(1));
      if (!sh || a.get_int("allowzero", 0) != 0) return block(l, who + ": its shape is not a constant initializer");
      out.nodes.push_back({NodeEdit::kReshapeShape, n, l, spatial});
    }
    pass_through(ChannelLayout{l.segments, l.inner * spatial, 2});
  } else {
    block(l, who + " reads it (" + op + " is not understood by channel pruning)");
  }
}

}  // namespace

ChannelAnalysis analyze_channels(const Model& model, const std::function<bool(const onnx::NodeProto&)>& excluded) {
  Walker w(model, excluded);
  for (int n : w.index.topological_order()) w.visit(n);
  for (const auto& [name, l] : w.out.values) {
    if (w.index.is_graph_output(name)) w.block(l, "'" + name + "' is a graph output");
    if (w.sub_reads.count(name)) w.block(l, "a subgraph reads '" + name + "'");
  }
  // Compact ids in the order of each group's first producer.
  std::map<int, int> compact;
  for (size_t r = 0; r < w.parent.size(); ++r) {
    const int root = w.find(static_cast<int>(r));
    if (compact.count(root)) continue;
    const int id = static_cast<int>(w.out.groups.size());
    compact[root] = id;
    ChannelGroup grp;
    grp.channels = w.channels[static_cast<size_t>(root)];
    grp.producers = w.producers[static_cast<size_t>(root)];
    grp.members = w.members[static_cast<size_t>(root)];
    for (auto* v : {&grp.producers, &grp.members}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    grp.blocked = w.blocked[static_cast<size_t>(root)];
    w.out.groups.push_back(std::move(grp));
  }
  auto remap = [&](ChannelLayout& l) {
    for (auto& s : l.segments) {
      if (s.group >= 0) s.group = compact.at(w.find(s.group));
    }
  };
  for (auto& e : w.out.inputs) remap(e.layout);
  for (auto& e : w.out.nodes) remap(e.layout);
  for (auto& [name, l] : w.out.values) remap(l);
  return std::move(w.out);
}

}  // namespace edge::pass::prune
