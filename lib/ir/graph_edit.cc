#include "ir/graph_edit.h"

#include <map>

#include "ir/tensor_proto.h"

namespace edge {

bool is_onnx_op(const onnx::NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

std::vector<const onnx::GraphProto*> subgraphs_of(const onnx::NodeProto& n) {
  std::vector<const onnx::GraphProto*> out;
  for (const auto& a : n.attribute()) {
    if (a.has_g()) out.push_back(&a.g());
    for (const auto& sg : a.graphs()) out.push_back(&sg);
  }
  return out;
}

std::vector<onnx::GraphProto*> mutable_subgraphs_of(onnx::NodeProto& n) {
  std::vector<onnx::GraphProto*> out;
  for (auto& a : *n.mutable_attribute()) {
    if (a.has_g()) out.push_back(a.mutable_g());
    for (auto& sg : *a.mutable_graphs()) out.push_back(&sg);
  }
  return out;
}

bool has_subgraph(const onnx::NodeProto& n) {
  for (const auto& a : n.attribute()) {
    if (a.has_g() || a.graphs_size() > 0) return true;
  }
  return false;
}

namespace {

// Values a graph reads but does not define itself.
void free_reads(const onnx::GraphProto& g, std::set<std::string>* out) {
  std::set<std::string> defined;
  for (const auto& i : g.input()) defined.insert(i.name());
  for (const auto& i : g.initializer()) defined.insert(i.name());
  for (const auto& n : g.node()) {
    for (const auto& o : n.output()) defined.insert(o);
  }
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) {
      if (!i.empty() && !defined.count(i)) out->insert(i);
    }
    for (const auto* sg : subgraphs_of(n)) {
      std::set<std::string> inner;
      free_reads(*sg, &inner);
      for (const auto& v : inner) {
        if (!defined.count(v)) out->insert(v);
      }
    }
  }
  for (const auto& o : g.output()) {
    if (!defined.count(o.name())) out->insert(o.name());
  }
}

void names_of(const onnx::GraphProto& g, std::set<std::string>* out) {
  for (const auto& i : g.input()) out->insert(i.name());
  for (const auto& i : g.output()) out->insert(i.name());
  for (const auto& i : g.initializer()) out->insert(i.name());
  for (const auto& i : g.value_info()) out->insert(i.name());
  for (const auto& n : g.node()) {
    if (!n.name().empty()) out->insert(n.name());
    for (const auto& v : n.input()) out->insert(v);
    for (const auto& v : n.output()) out->insert(v);
    for (const auto* sg : subgraphs_of(n)) names_of(*sg, out);
  }
}

void replace_in_subgraph(onnx::GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) {
    for (auto& i : *n.mutable_input()) {
      if (i == from) i = to;
    }
    for (auto* sg : mutable_subgraphs_of(n)) replace_in_subgraph(*sg, from, to);
  }
  for (auto& o : *g.mutable_output()) {
    if (o.name() == from) o.set_name(to);
  }
}

}  // namespace

std::vector<std::string> free_variables(const onnx::GraphProto& g) {
  std::set<std::string> out;
  free_reads(g, &out);
  return {out.begin(), out.end()};
}

std::set<std::string> subgraph_reads(const onnx::GraphProto& g) {
  std::set<std::string> out;
  for (const auto& n : g.node()) {
    for (const auto* sg : subgraphs_of(n)) free_reads(*sg, &out);
  }
  return out;
}

std::set<std::string> all_reads(const onnx::GraphProto& g) {
  std::set<std::string> out = subgraph_reads(g);
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) {
      if (!i.empty()) out.insert(i);
    }
  }
  return out;
}

void replace_uses(onnx::GraphProto& g, const std::string& from, const std::string& to) {
  for (auto& n : *g.mutable_node()) {
    for (auto& i : *n.mutable_input()) {
      if (i == from) i = to;
    }
    for (auto* sg : mutable_subgraphs_of(n)) replace_in_subgraph(*sg, from, to);
  }
}

std::set<std::string> all_names(const onnx::GraphProto& g) {
  std::set<std::string> out;
  names_of(g, &out);
  return out;
}

std::string fresh_name(std::set<std::string>& taken, const std::string& base) {
  std::string name = base;
  for (int i = 1; taken.count(name); ++i) name = base + "_" + std::to_string(i);
  taken.insert(name);
  return name;
}

namespace {
void collect_node_names(const onnx::GraphProto& g, std::set<std::string>& out) {
  for (const auto& n : g.node()) {
    if (!n.name().empty()) out.insert(n.name());
    for (const auto* sub : subgraphs_of(n)) collect_node_names(*sub, out);
  }
}

int name_nodes_in(onnx::GraphProto& g, const std::string& prefix, std::set<std::string>& taken) {
  int named = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    auto& n = *g.mutable_node(i);
    if (n.name().empty()) {
      n.set_name(fresh_name(taken, prefix + n.op_type() + "_" + std::to_string(i)));
      ++named;
    }
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) named += name_nodes_in(*a.mutable_g(), n.name() + "/" + a.name() + "/", taken);
      for (int k = 0; k < a.graphs_size(); ++k) {
        named += name_nodes_in(*a.mutable_graphs(k), n.name() + "/" + a.name() + "_" + std::to_string(k) + "/", taken);
      }
    }
  }
  return named;
}
}  // namespace

int name_unnamed_nodes(onnx::GraphProto& g) {
  std::set<std::string> taken;
  collect_node_names(g, taken);
  return name_nodes_in(g, "", taken);
}

namespace {
int clear_negative_dims_in(onnx::TypeProto& t) {
  onnx::TensorShapeProto* shape = nullptr;
  if (t.has_tensor_type() && t.tensor_type().has_shape()) shape = t.mutable_tensor_type()->mutable_shape();
  if (t.has_sparse_tensor_type() && t.sparse_tensor_type().has_shape()) {
    shape = t.mutable_sparse_tensor_type()->mutable_shape();
  }
  int cleared = 0;
  if (shape) {
    for (auto& d : *shape->mutable_dim()) {
      if (d.has_dim_value() && d.dim_value() < 0) {
        d.clear_dim_value();
        ++cleared;
      }
    }
  }
  if (t.has_sequence_type() && t.sequence_type().has_elem_type()) {
    cleared += clear_negative_dims_in(*t.mutable_sequence_type()->mutable_elem_type());
  }
  if (t.has_optional_type() && t.optional_type().has_elem_type()) {
    cleared += clear_negative_dims_in(*t.mutable_optional_type()->mutable_elem_type());
  }
  return cleared;
}
}  // namespace

int clear_negative_dims(onnx::GraphProto& g) {
  int cleared = 0;
  for (auto* list : {g.mutable_input(), g.mutable_output(), g.mutable_value_info()}) {
    for (auto& v : *list) {
      if (v.has_type()) cleared += clear_negative_dims_in(*v.mutable_type());
    }
  }
  for (auto& n : *g.mutable_node()) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_g()) cleared += clear_negative_dims(*a.mutable_g());
      for (auto& sg : *a.mutable_graphs()) cleared += clear_negative_dims(sg);
    }
  }
  return cleared;
}

void erase_nodes(onnx::GraphProto& g, const std::vector<bool>& remove) {
  auto* nodes = g.mutable_node();
  int w = 0;
  for (int r = 0; r < nodes->size(); ++r) {
    if (static_cast<size_t>(r) < remove.size() && remove[static_cast<size_t>(r)]) continue;
    if (w != r) nodes->SwapElements(w, r);
    ++w;
  }
  while (nodes->size() > w) nodes->RemoveLast();
}

namespace {
template <typename Field, typename Pred>
void erase_if(Field* f, Pred pred) {
  int w = 0;
  for (int r = 0; r < f->size(); ++r) {
    if (pred(f->Get(r))) continue;
    if (w != r) f->SwapElements(w, r);
    ++w;
  }
  while (f->size() > w) f->RemoveLast();
}
}  // namespace

void erase_initializers(onnx::GraphProto& g, const std::set<std::string>& names) {
  if (names.empty()) return;
  erase_if(g.mutable_initializer(), [&](const onnx::TensorProto& t) { return names.count(t.name()) > 0; });
  erase_if(g.mutable_input(), [&](const onnx::ValueInfoProto& v) { return names.count(v.name()) > 0; });
}

void erase_value_infos(onnx::GraphProto& g, const std::set<std::string>& names) {
  if (names.empty()) return;
  erase_if(g.mutable_value_info(), [&](const onnx::ValueInfoProto& v) { return names.count(v.name()) > 0; });
}

int erase_unused_initializers(onnx::GraphProto& g, const std::set<std::string>& candidates) {
  std::set<std::string> used = all_reads(g);
  for (const auto& o : g.output()) used.insert(o.name());
  std::set<std::string> drop;
  for (const auto& t : g.initializer()) {
    if (candidates.count(t.name()) && !used.count(t.name())) drop.insert(t.name());
  }
  erase_initializers(g, drop);
  erase_value_infos(g, drop);
  return static_cast<int>(drop.size());
}

std::set<std::string> fed_inputs(const Model& m) {
  std::set<std::string> inits, out;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  for (const auto& i : m.graph().input()) {
    if (m.proto().ir_version() >= 4 || !inits.count(i.name())) out.insert(i.name());
  }
  return out;
}

void add_initializer(Model& m, const Tensor& t, const std::string& name) {
  *m.graph().add_initializer() = tensor_to_proto(t, name);
  if (m.proto().ir_version() < 4) {
    auto* vi = m.graph().add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(m.graph().initializer(m.graph().initializer_size() - 1).data_type());
    auto* shape = tt->mutable_shape();
    for (int64_t d : t.shape()) shape->add_dim()->set_dim_value(d);
  }
}

Tensor read_initializer(const Model& m, const onnx::TensorProto& p) {
  return tensor_from_proto(p, m.path().empty() ? std::filesystem::path(".") : m.path().parent_path(),
                           "initializer '" + p.name() + "'");
}

int bypass_nodes(onnx::GraphProto& g, const std::vector<bool>& candidates) {
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const auto& o : g.node(i).output()) {
      if (!o.empty()) producer[o] = i;
    }
  }
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  std::vector<bool> removed(static_cast<size_t>(g.node_size()), false);
  std::set<std::string> stale;
  int count = 0;
  for (int i = 0; i < g.node_size(); ++i) {
    if (static_cast<size_t>(i) >= candidates.size() || !candidates[static_cast<size_t>(i)]) continue;
    const auto& n = g.node(i);
    if (n.input_size() < 1 || n.output_size() < 1 || n.input(0).empty() || n.output(0).empty()) continue;
    const std::string in = n.input(0), out = n.output(0);
    if (outputs.count(out)) {
      auto it = producer.find(in);
      if (outputs.count(in) || it == producer.end()) continue;
      const int pi = it->second;
      for (auto& o : *g.mutable_node(pi)->mutable_output()) {
        if (o == in) o = out;
      }
      replace_uses(g, in, out);
      producer.erase(it);
      producer[out] = pi;
      stale.insert(in);
    } else {
      replace_uses(g, out, in);
      stale.insert(out);
    }
    removed[static_cast<size_t>(i)] = true;
    for (const auto& o : n.output()) {
      if (!o.empty() && o != out) stale.insert(o);
    }
    ++count;
  }
  erase_nodes(g, removed);
  erase_value_infos(g, stale);
  return count;
}

}  // namespace edge
