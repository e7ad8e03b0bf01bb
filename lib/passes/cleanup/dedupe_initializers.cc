// dedupe-initializers: merges initializers of the main graph with identical element type,
// dims and bytes into the first one (file order); readers, subgraph reads included, are
// rewritten to it.
//
// Before:                                      After:
//   <float[2] a = {1, 2}, float[2] b = {1, 2}>   <float[2] a = {1, 2}>
//   y = Add(x, a)                                 y = Add(x, a)
//   z = Mul(y, b)                                 z = Mul(y, a)
//
// Initializers that are also graph inputs of IR >= 4 models (a caller may override them)
// or graph outputs keep their own names and are never merged.
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "ir/graph_edit.h"
#include "passes/cleanup/cleanup_passes.h"

namespace edge::pass {

const char* DedupeInitializers::summary() {
  return "merge initializers with identical type, shape and contents";
}

std::vector<OptionSpec> DedupeInitializers::options() { return {}; }

namespace {

uint64_t fnv1a(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace

void DedupeInitializers::run(Model& model, PassContext& ctx) {
  auto& g = model.graph();
  std::set<std::string> pinned = fed_inputs(model);
  for (const auto& o : g.output()) pinned.insert(o.name());

  using Key = std::tuple<int32_t, std::vector<int64_t>, uint64_t>;
  std::map<Key, std::vector<int>> groups;  // key -> initializers kept so far with that key
  std::map<int, Tensor> decoded;           // decoded kept initializers, by position
  std::vector<std::pair<std::string, std::string>> merges;  // duplicate -> kept
  for (int i = 0; i < g.initializer_size(); ++i) {
    const auto& p = g.initializer(i);
    if (pinned.count(p.name()) || p.data_type() == onnx::TensorProto::STRING ||
        p.data_type() == onnx::TensorProto::UNDEFINED) {
      continue;
    }
    Tensor t = read_initializer(model, p);
    Key key{p.data_type(), std::vector<int64_t>(p.dims().begin(), p.dims().end()), fnv1a(t.raw(), t.nbytes())};
    auto& kept = groups[key];
    bool merged = false;
    for (int k : kept) {
      const Tensor& o = decoded.at(k);
      if (o.nbytes() == t.nbytes() && std::memcmp(o.raw(), t.raw(), t.nbytes()) == 0) {
        merges.emplace_back(p.name(), g.initializer(k).name());
        merged = true;
        break;
      }
    }
    if (merged) continue;
    kept.push_back(i);
    decoded.emplace(i, std::move(t));
  }
  std::set<std::string> dropped;
  for (const auto& [dup, keep] : merges) {
    replace_uses(g, dup, keep);
    dropped.insert(dup);
    ctx.log().debug("dedupe-initializers: '{}' is a copy of '{}'", dup, keep);
  }
  int64_t bytes = 0;
  for (const auto& p : g.initializer()) {
    if (dropped.count(p.name())) bytes += static_cast<int64_t>(p.ByteSizeLong());
  }
  erase_initializers(g, dropped);
  erase_value_infos(g, dropped);
  if (ctx.stage) {
    ctx.stage->metrics["merged_initializers"] = static_cast<double>(dropped.size());
    ctx.stage->metrics["saved_bytes"] = static_cast<double>(bytes);
  }
}

}  // namespace edge::pass
