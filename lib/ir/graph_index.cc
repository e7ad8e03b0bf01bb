#include "ir/graph_index.h"

#include <set>

#include "ir/node_attrs.h"
#include "ir/status.h"

namespace edge {

GraphIndex::GraphIndex(const onnx::GraphProto& g) : g_(&g) {
  for (const auto& i : g.initializer()) init_[i.name()] = &i;
  for (const auto& v : g.input()) {
    vi_[v.name()] = &v;
    inputs_[v.name()] = true;
  }
  for (const auto& v : g.value_info()) vi_.emplace(v.name(), &v);
  for (const auto& v : g.output()) {
    vi_.emplace(v.name(), &v);
    outputs_[v.name()] = true;
  }
  for (int n = 0; n < g.node_size(); ++n) {
    const auto& node = g.node(n);
    for (const auto& in : node.input()) {
      if (!in.empty()) consumers_[in].push_back(n);
    }
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      if (!producer_.emplace(out, n).second) duplicate_outputs_.push_back(out);
    }
  }
}

int GraphIndex::producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? -1 : it->second;
}

const std::vector<int>& GraphIndex::consumers(const std::string& value) const {
  static const std::vector<int> kEmpty;
  auto it = consumers_.find(value);
  return it == consumers_.end() ? kEmpty : it->second;
}

const onnx::TensorProto* GraphIndex::initializer(const std::string& name) const {
  auto it = init_.find(name);
  return it == init_.end() ? nullptr : it->second;
}

const onnx::ValueInfoProto* GraphIndex::value_info(const std::string& name) const {
  auto it = vi_.find(name);
  return it == vi_.end() ? nullptr : it->second;
}

bool GraphIndex::is_graph_input(const std::string& name) const { return inputs_.count(name) > 0; }
bool GraphIndex::is_graph_output(const std::string& name) const { return outputs_.count(name) > 0; }

std::vector<const onnx::ValueInfoProto*> GraphIndex::runtime_inputs() const {
  std::vector<const onnx::ValueInfoProto*> out;
  for (const auto& v : g_->input()) {
    if (!init_.count(v.name())) out.push_back(&v);
  }
  return out;
}

std::vector<int> GraphIndex::topological_order(const std::vector<std::string>& outer_scope) const {
  auto node_desc = [&](int n) { return describe_node(g_->node(n)); };
  if (!duplicate_outputs_.empty()) {
    int n = producer(duplicate_outputs_.front());
    fail("value '" + duplicate_outputs_.front() + "' is produced by more than one node (first: " +
         node_desc(n) + ")");
  }
  std::set<std::string> available(outer_scope.begin(), outer_scope.end());
  for (const auto& v : g_->input()) available.insert(v.name());
  for (const auto& i : g_->initializer()) available.insert(i.name());
  const int n_nodes = g_->node_size();
  std::vector<int> pending(static_cast<size_t>(n_nodes), 0);
  std::vector<int> ready;
  for (int n = 0; n < n_nodes; ++n) {
    for (const auto& in : g_->node(n).input()) {
      if (in.empty() || available.count(in)) continue;
      if (producer(in) < 0) fail(node_desc(n) + " reads '" + in + "', which no node, input or initializer defines");
      ++pending[static_cast<size_t>(n)];
    }
    if (pending[static_cast<size_t>(n)] == 0) ready.push_back(n);
  }
  std::vector<int> order;
  order.reserve(static_cast<size_t>(n_nodes));
  // Process in ascending node index among ready nodes to keep the file's order when valid.
  std::set<int> ready_set(ready.begin(), ready.end());
  while (!ready_set.empty()) {
    int n = *ready_set.begin();
    ready_set.erase(ready_set.begin());
    order.push_back(n);
    for (const auto& out : g_->node(n).output()) {
      if (out.empty()) continue;
      for (int c : consumers(out)) {
        if (--pending[static_cast<size_t>(c)] == 0) ready_set.insert(c);
      }
    }
  }
  if (static_cast<int>(order.size()) != n_nodes) {
    for (int n = 0; n < n_nodes; ++n) {
      if (pending[static_cast<size_t>(n)] > 0) fail("graph has a cycle through " + node_desc(n));
    }
  }
  return order;
}

bool GraphIndex::shape(const std::string& name, Shape* out) const {
  if (const auto* init = initializer(name)) {
    out->assign(init->dims().begin(), init->dims().end());
    return true;
  }
  const auto* vi = value_info(name);
  return vi && value_info_shape(*vi, out);
}

bool GraphIndex::static_shape(const std::string& name, Shape* out) const {
  if (!shape(name, out)) return false;
  for (int64_t d : *out) {
    if (d < 0) return false;
  }
  return true;
}

int32_t GraphIndex::elem_type(const std::string& name) const {
  if (const auto* init = initializer(name)) return init->data_type();
  const auto* vi = value_info(name);
  return vi && vi->type().has_tensor_type() ? vi->type().tensor_type().elem_type() : 0;
}

bool value_info_shape(const onnx::ValueInfoProto& vi, Shape* shape) {
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return false;
  shape->clear();
  for (const auto& d : vi.type().tensor_type().shape().dim()) {
    shape->push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  }
  return true;
}

}  // namespace edge
