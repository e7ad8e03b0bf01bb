// sensitivity: per-layer pruning sensitivity, an analysis stage that leaves the
// model as it is. Every prunable weight (prune_common.h, the same selection as
// prune-magnitude) is pruned alone by magnitude to each of `sparsities` and the
// model measured on `samples` samples of labelled eval data (loss, top-1) or
// calibration data (KL divergence from the dense outputs), plus top-1 agreement
// with the dense model, in the edge runtime (sensitivity.h). The report gets
// one row per layer with the metric at each sparsity, and the HTML report a
// chart of the curves. prune-magnitude<scope=sensitivity> runs the same
// measurement.
#include "passes/prune/prune_passes.h"
#include "passes/prune/prune_stage.h"
#include "passes/prune/sensitivity.h"

namespace edge::pass {

using namespace prune;

const char* Sensitivity::summary() {
  return "analysis: prune each layer alone at several sparsities and measure "
         "loss/top-1/agreement in the runtime "
         "(model unchanged; curves in the report)";
}

std::vector<OptionSpec> Sensitivity::options() {
  return {
      {"sparsities", OptionType::kString, "0.5,0.7,0.9", "comma-separated sparsities in [0, 1) measured per layer", {}},
      {"samples", OptionType::kInt, "256", "samples measured (0 = all)", {}, 0, 1e9},
      {"data",
       OptionType::kString,
       "auto",
       "auto (labelled eval data, else calibration data), calib or eval",
       {"auto", "calib", "eval"}},
      {"min_params", OptionType::kInt, "128", "layers with fewer weight elements are not measured", {}, 0, 1e15},
  };
}

void Sensitivity::run(Model& model, PassContext& ctx) {
  SensitivityOptions so;
  so.levels = parse_levels(opts_.get_string("sparsities"), "sensitivity sparsities");
  so.samples = opts_.get_int("samples");
  so.data = opts_.get_string("data");
  const PruneTargets targets = targets_for(model, ctx);
  report_skipped(targets, "sensitivity", ctx);
  if (targets.units.empty()) {
    const std::string note =
        "nothing to measure: the model has no prunable "
        "Conv/ConvTranspose/Gemm/MatMul weight";
    ctx.log().warn("sensitivity: {}", note);
    if (ctx.stage) ctx.stage->notes.push_back(note);
    return;
  }
  const SensitivityTable t = measure_sensitivity(model, targets.units, so, ctx);
  if (ctx.stage) report_sensitivity(t, *ctx.stage);
  ctx.log().info("sensitivity: {} layers x {} sparsities on {} samples of {}", t.curves.size(), t.levels.size(),
                 t.samples, t.source);
}

}  // namespace edge::pass
