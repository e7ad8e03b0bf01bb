// Per-layer pruning sensitivity: prune one weight at a time to each of several
// sparsities (magnitude, that layer alone) and measure the model on a bounded
// set of samples in the edge runtime, swapping the weight with
// Session::set_weight (no rebuild per point).
//
// Data: eval data with labels when given (or asked), else the calibration data.
// Metrics per point, over the same samples as the dense model:
//   loss       mean cross-entropy against the labels (labels only; the output
//   is read as
//              logits, or as probabilities when every dense row is non-negative
//              and sums to 1)
//   top1       accuracy against the labels (labels only)
//   agreement  share of samples whose argmax equals the dense model's
//   kl         mean KL(dense || pruned) of the softmaxed outputs
// Damage (what scope=sensitivity minimizes): loss - dense loss with labels,
// else kl. Sessions run unfused, so a weight folded into another at preparation
// is still swappable.
#pragma once

#include <string>
#include <vector>

#include "pass/context.h"
#include "passes/prune/prune_common.h"
#include "report/report.h"

namespace edge::pass::prune {

struct SensitivityOptions {
  std::vector<double> levels;  // sparsities in [0, 1)
  int64_t samples = 256;       // 0 = all
  std::string data = "auto";   // auto | calib | eval
};

struct SensitivityPoint {
  double sparsity = 0;
  double loss = 0, top1 = 0, agreement = 1, kl = 0;
};

struct SensitivityCurve {
  std::string initializer, layer, op;
  int64_t params = 0;
  std::vector<SensitivityPoint> points;  // one per level, in level order
};

struct SensitivityTable {
  std::string source;  // the data used
  bool has_labels = false;
  int64_t samples = 0;
  SensitivityPoint dense;  // the unpruned model (sparsity = its current zeros
                           // are not counted)
  std::vector<double> levels;
  std::vector<SensitivityCurve> curves;  // parallel to the units measured

  double damage(const SensitivityPoint& p) const { return has_labels ? p.loss - dense.loss : p.kl; }
};

// Measures every unit of `units` at every level. Throws Error when no data is
// given.
SensitivityTable measure_sensitivity(const Model& model, const std::vector<PruneUnit>& units,
                                     const SensitivityOptions& opts, PassContext& ctx);

// Rows (one per curve: "top1@0.5", "dloss@0.5" with labels, "kl@0.5" without,
// "agree@0.5") and stage metrics (dense loss/top-1, samples) into `stage`.
void report_sensitivity(const SensitivityTable& t, report::StageRecord& stage);

// Per-unit sparsities from the measured curves that reach `target_zeros` zeros
// over the units (plus `fixed_zeros` elsewhere) with the least summed damage:
// greedy over the levels (0 included), each step taking the move of one unit to
// a higher level with the least damage per zero added; the last move is
// interpolated so the total is met exactly. Damage is made non-decreasing along
// each curve first. Returns one sparsity per curve.
std::vector<double> allocate_sparsity(const SensitivityTable& t, int64_t target_zeros);

}  // namespace edge::pass::prune
