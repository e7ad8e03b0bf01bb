// What the prune passes share around weight selection: the targets of a model
// under the pipeline's layer rules, reading and writing the weights, and the
// report rows/notes for pruned and skipped layers.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "pass/context.h"
#include "passes/prune/prune_common.h"

namespace edge::pass::prune {

// Prunable weights under the layer rules: excluded layers and layers below
// their `min_params` (the running pass's option, per-layer overrides applied)
// are skipped.
PruneTargets targets_for(const Model& m, PassContext& ctx);

Tensor read_weight(const Model& m, const std::string& initializer);
// Replaces the initializer's data (same name, dtype and shape; stored in the
// model).
void write_weight(Model& m, const std::string& initializer, const Tensor& w);

// A report row for a pruned weight: sparsity, params, zeros (and the caller's
// extra metrics).
report::LayerRecord pruned_row(const PruneUnit& u, const Tensor& w);
// Notes for skipped layers (one line each) and the stage's layers_skipped
// metric.
void report_skipped(const PruneTargets& t, const std::string& pass, PassContext& ctx);
// The "nothing to prune" outcome: a clear note and log line, model unchanged.
void report_nothing_to_prune(const PruneTargets& t, const std::string& pass, PassContext& ctx);
// Warns (log and stage note) about layer-rule overrides of options that cannot
// differ per layer in this pass.
void warn_layer_overrides(const std::set<std::string>& ignored, const std::string& pass, const std::string& allowed,
                          PassContext& ctx);

}  // namespace edge::pass::prune
