// Every kernel registrar of the source tree, and the registrars a model needs
// (kernel_selection.h). Linking this file links every kernel.
#include <algorithm>
#include <map>
#include <set>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_selection.h"
#include "runtime/qdq_fusion.h"

namespace edge::rt {

#define EDGE_KERNEL(name) void register_##name(KernelRegistry& r);
#define EDGE_CPU_KERNEL(name) void register_cpu_##name(KernelRegistry& r);
#include "runtime/kernels/all_kernels.def"
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL

const std::vector<KernelRegistrar>& all_kernel_registrars() {
  static const std::vector<KernelRegistrar> list = {
#define EDGE_KERNEL(name) {#name, &register_##name},
#define EDGE_CPU_KERNEL(name) {"cpu_" #name, &register_cpu_##name},
#include "runtime/kernels/all_kernels.def"
#undef EDGE_KERNEL
#undef EDGE_CPU_KERNEL
  };
  return list;
}

namespace {

struct OpUse {
  std::string domain;  // "" for ai.onnx
  std::string op;
  int opset;
  bool operator<(const OpUse& o) const { return std::tie(domain, op, opset) < std::tie(o.domain, o.op, o.opset); }
};

std::string plain_domain(const std::string& d) { return d == "ai.onnx" ? std::string() : d; }

void add_nodes(const onnx::GraphProto& g, const std::map<std::string, int>& opsets, std::set<OpUse>& out) {
  for (const auto& n : g.node()) {
    const std::string d = plain_domain(n.domain());
    auto it = opsets.find(d);
    // A domain the model does not import fails at load in every build; nothing to select.
    if (it != opsets.end()) out.insert({d, n.op_type(), it->second});
  }
}

// The nodes of `g` and of its subgraphs, as written and as the runtime fuses each graph
// (GraphRunner fuses every graph, subgraphs included, the same way).
void collect(const onnx::GraphProto& g, std::map<std::string, int>& opsets, const KernelRegistry& full,
             std::set<OpUse>& out) {
  add_nodes(g, opsets, out);
  const int opset = opsets.at("");
  std::unique_ptr<onnx::GraphProto> qdq = fuse_qdq(g, opset, full);
  std::unique_ptr<onnx::GraphProto> fused = fuse_graph(qdq ? *qdq : g, opset, true);
  if (fused || qdq) add_nodes(fused ? *fused : *qdq, opsets, out);  // subgraphs are copies: not again
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect(a.g(), opsets, full, out);
      for (const auto& sg : a.graphs()) collect(sg, opsets, full, out);
    }
  }
}

}  // namespace

std::vector<std::string> kernels_required_by(const onnx::ModelProto& model) {
  KernelRegistry full;
  std::vector<std::pair<const KernelRegistrar*, std::vector<KernelDef>>> defs;
  for (const auto& reg : all_kernel_registrars()) {
    KernelRegistry one;
    reg.add(one);
    for (const auto& d : one.all()) full.add(d);
    defs.emplace_back(&reg, one.all());
  }
  std::map<std::string, int> opsets;
  for (const auto& op : model.opset_import()) opsets[plain_domain(op.domain())] = static_cast<int>(op.version());
  if (!opsets.count("")) opsets[""] = 1;  // as Session does
  opsets[kFusedDomain] = 1;
  std::set<OpUse> uses;
  collect(model.graph(), opsets, full, uses);

  std::vector<std::string> reference, cpu;
  for (const auto& [reg, list] : defs) {
    const bool needed = std::any_of(list.begin(), list.end(), [&](const KernelDef& d) {
      return std::any_of(uses.begin(), uses.end(), [&](const OpUse& u) {
        return u.domain == d.domain && u.op == d.op && u.opset >= d.since && u.opset <= d.until;
      });
    });
    if (!needed) continue;
    const std::string name = reg->name;
    (name.rfind("cpu_", 0) == 0 ? cpu : reference).push_back(name);
  }
  std::sort(reference.begin(), reference.end());
  std::sort(cpu.begin(), cpu.end());
  reference.insert(reference.end(), cpu.begin(), cpu.end());
  return reference;
}

}  // namespace edge::rt
