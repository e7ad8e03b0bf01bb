#include "search/candidates.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "pass/pipeline.h"
#include "pass/registry.h"

namespace edge::search {

bool pass_exists(const std::string& name) {
  for (const auto& p : pass::all_passes()) {
    if (p.name == name) return true;
  }
  return false;
}

std::string cleanup_prefix(const Model& m) {
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  bool weights_as_inputs = false;
  for (const auto& in : m.graph().input()) weights_as_inputs = weights_as_inputs || inits.count(in.name()) > 0;
  std::string p = weights_as_inputs ? "remove-initializer-inputs," : "";
  return p + "fold-constants,fuse-bn,eliminate-dead";
}

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Planner {
  std::string prefix;
  std::vector<Candidate> out;

  // Adds a candidate; returns its id. The pipeline is validated and made canonical here, so a
  // planner typo is an internal error at once, not a failed candidate.
  int add(const std::string& family, const std::string& stages, double cost, int requires_id = 0) {
    Candidate c;
    c.pipeline = pass::canonical_pipeline(pass::parse_pipeline(stages.empty() ? prefix : prefix + "," + stages));
    for (const auto& o : out) {
      if (o.pipeline == c.pipeline) return o.id;  // already planned
    }
    c.family = family;
    c.cost = cost;
    c.requires_id = requires_id;
    c.id = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(c));
    return out.back().id;
  }
};

bool has_op(const Model& m, std::initializer_list<const char*> ops) {
  for (const auto& n : m.graph().node()) {
    for (const char* op : ops) {
      if (n.op_type() == op && (n.domain().empty() || n.domain() == "ai.onnx")) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<Candidate> plan_candidates(const Model& m, const PlanInputs& in) {
  Planner p{cleanup_prefix(m), {}};
  const bool matmul = has_op(m, {"MatMul", "Gemm"});
  const bool conv = has_op(m, {"Conv"});
  // Calibration-free candidates first: each builds in a fraction of a second.
  p.add("float", "", 1);
  p.add("fp16", "quantize-fp16", 1);
  p.add("int8-dynamic", "quantize-dynamic", 1);
  if (matmul) p.add("int4-weight-only", "quantize-weight-only", 1);
  // Unstructured sparsity: each level only when the one below met the accuracy gate.
  int prev = 0;
  std::vector<std::pair<double, int>> global_ids;
  for (double s : {0.5, 0.7, 0.8, 0.9}) {
    prev = p.add("prune-global", "prune-magnitude<sparsity=" + num(s) + ",scope=global>", 1, prev);
    global_ids.emplace_back(s, prev);
  }
  prev = 0;
  for (double s : {0.5, 0.7}) prev = p.add("prune-layer", "prune-magnitude<sparsity=" + num(s) + ",scope=layer>", 1, prev);
  const int nm = p.add("prune-2:4", "prune-nm<n=2,m=4>", 1);
  // Sparse weights that are then stored at half precision.
  for (const auto& [s, id] : global_ids) {
    if (s >= 0.7) p.add("prune-global+fp16", "prune-magnitude<sparsity=" + num(s) + ",scope=global>,quantize-fp16", 1.5, id);
  }
  if (in.has_calib) {
    p.add("int8-static", "quantize-static", 3);
    // Channel pruning changes shapes (smaller dense kernels: the latency lever).
    std::vector<std::pair<std::string, int>> channel_ids;  // stage, candidate id
    if (conv || matmul) {
      prev = 0;
      for (double r : {0.1, 0.2}) {
        const std::string stage = "prune-channels<ratio=" + num(r) + ",criterion=sensitivity>";
        prev = p.add("prune-channels", stage, 3, prev);
        channel_ids.emplace_back(stage, prev);
      }
    }
    // Combinations: prune, then int8.
    for (const auto& [s, id] : global_ids) {
      if (s <= 0.8) p.add("prune-global+int8", "prune-magnitude<sparsity=" + num(s) + ",scope=global>,quantize-static", 3, id);
    }
    p.add("prune-2:4+int8", "prune-nm<n=2,m=4>,quantize-static", 3, nm);
    for (const auto& [stage, id] : channel_ids) p.add("prune-channels+int8", stage + ",quantize-static", 4, id);
    // int8 with per-layer fallback to float until the drop fits (many evaluations).
    if (in.has_labels) {
      p.add("int8-auto", "quantize-auto<max_drop=" + num(in.max_accuracy_drop) + ">", 10, 0);
      p.add("prune-global+int8-auto",
            "prune-magnitude<sparsity=0.7,scope=global>,quantize-auto<max_drop=" + num(in.max_accuracy_drop) + ">", 10,
            global_ids[1].second);
    }
  }
  // Distillation after pruning, when the stage exists and training data is given.
  if (in.has_train && pass_exists("distill")) {
    p.add("prune-global+distill", "prune-magnitude<sparsity=0.8,scope=global>,distill", 20, 0);
  }
  // Cheap first; the plan order (ids) is kept among equal costs.
  std::stable_sort(p.out.begin(), p.out.end(), [](const Candidate& a, const Candidate& b) { return a.cost < b.cost; });
  // Renumber in run order; requirements follow their candidate.
  std::vector<int> new_id(p.out.size() + 1, 0);
  for (size_t i = 0; i < p.out.size(); ++i) new_id[p.out[i].id] = static_cast<int>(i) + 1;
  for (size_t i = 0; i < p.out.size(); ++i) {
    p.out[i].id = static_cast<int>(i) + 1;
    p.out[i].requires_id = new_id[p.out[i].requires_id];
  }
  return p.out;
}

}  // namespace edge::search
