// Prune passes (declared in lib/pass/passes.def): unstructured magnitude
// pruning, N:M structured sparsity and the per-layer sensitivity analysis.
// Pruned weights stay dense zeros in the model (the writer may store them
// sparse); which initializers were pruned, and how, is recorded in
// metadata_props "edge.pruned" (prune_record.h). Weight selection:
// prune_common.h. docs/pruning.md.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

// prune-magnitude: zero the smallest-magnitude weights to a sparsity, with one
// threshold over all prunable weights (scope=global), per layer (scope=layer),
// or per-layer sparsities chosen from measured sensitivity (scope=sensitivity).
// prune_magnitude.cc.
class PruneMagnitude : public Pass {
 public:
  explicit PruneMagnitude(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// prune-nm: N:M sparsity along the reduction (input-channel) dimension.
// prune_nm.cc.
class PruneNM : public Pass {
 public:
  explicit PruneNM(const PassOptions& o);
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

// sensitivity: analysis only (the model is unchanged): each layer pruned alone
// at each sparsity, measured on calibration or labelled eval data.
// sensitivity_pass.cc.
class Sensitivity : public Pass {
 public:
  explicit Sensitivity(const PassOptions& o) : opts_(o) {}
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
