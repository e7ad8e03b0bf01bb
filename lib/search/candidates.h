// The candidate pipelines of a search, built from the passes that exist (passes.def), in
// cheap-first order. A candidate may require another (its weaker sibling) to meet the
// accuracy gate first: a stronger sparsity is not tried when a weaker one already fails.
#pragma once

#include <string>
#include <vector>

#include "ir/model.h"
#include "search/search.h"

namespace edge::search {

struct PlanInputs {
  bool has_calib = false;   // calibration data given (quantize-static, prune-channels criteria)
  bool has_train = false;   // training data given (distill, when the pass exists)
  bool has_labels = false;  // labelled eval data (quantize-auto's metric)
  double max_accuracy_drop = 0.01;
};

// The cleanup every candidate starts with: fold-constants, fuse-bn, eliminate-dead, preceded
// by remove-initializer-inputs when the model lists initializers as graph inputs (IR < 4
// exporters): without it no stage may treat those weights as constants.
std::string cleanup_prefix(const Model& m);

// Candidates numbered 1.. in the order they run (cheap first, then by family). Only passes
// present in the registry are used; quantize-weight-only only when the model has MatMul/Gemm.
std::vector<Candidate> plan_candidates(const Model& m, const PlanInputs& in);

// True when `name` is a registered pass.
bool pass_exists(const std::string& name);

}  // namespace edge::search
