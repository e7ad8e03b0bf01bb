// prune-magnitude: unstructured magnitude pruning.
//
// Before: Conv(x, W[16,8,5,5])            After: Conv(x, W') where W' = W with
// its smallest
//                                                |w| set to 0 (dense zeros;
//                                                same shape)
//
//   scope=global       one magnitude threshold over every prunable weight
//   together: the share
//                      of zeros over all of them is `sparsity` (layers differ);
//   scope=layer        every layer pruned to `sparsity` by its own threshold;
//   scope=sensitivity  each layer measured alone at `levels` (sensitivity.h),
//   then per-layer
//                      sparsities that reach the same total as global with the
//                      least summed damage.
// A layer rule may set `sparsity` for matching layers (they are pruned to it by
// their own threshold; the global/sensitivity total still counts them, so the
// other layers make up the difference) and `min_params`; `exclude` leaves a
// layer alone. Ties at the threshold are broken by initializer then element
// order, so the count is exact and the bytes deterministic. Which initializers
// were pruned goes into metadata "edge.pruned".
#include <cmath>

#include "passes/prune/prune_passes.h"
#include "passes/prune/prune_record.h"
#include "passes/prune/prune_stage.h"
#include "passes/prune/sensitivity.h"
#include "report/report_format.h"

namespace edge::pass {

using namespace prune;

namespace {
constexpr const char* kDefaultLevels = "0.3,0.5,0.6,0.7,0.8,0.85,0.9,0.93,0.95,0.97,0.98,0.99";

OptionSpec sparsity_option() {
  OptionSpec s{
      "sparsity", OptionType::kFloat, "0.5", "share of zeros, in [0, 1) (global: over all prunable weights)", {}, 0, 1};
  s.exclusive_max = true;
  return s;
}
}  // namespace

const char* PruneMagnitude::summary() {
  return "unstructured magnitude pruning of Conv/ConvTranspose/Gemm/MatMul "
         "weights (global, per layer or by "
         "measured sensitivity); per-layer sparsity in the report";
}

std::vector<OptionSpec> PruneMagnitude::options() {
  return {
      sparsity_option(),
      {"scope",
       OptionType::kString,
       "global",
       "global: one threshold over all weights; layer: each layer to sparsity; "
       "sensitivity: per-layer sparsities "
       "from measured damage",
       {"global", "layer", "sensitivity"}},
      {"min_params", OptionType::kInt, "128", "layers with fewer weight elements are never pruned", {}, 0, 1e15},
      {"levels", OptionType::kString, kDefaultLevels, "scope=sensitivity: sparsities measured per layer", {}},
      {"samples", OptionType::kInt, "256", "scope=sensitivity: samples measured (0 = all)", {}, 0, 1e9},
      {"data",
       OptionType::kString,
       "auto",
       "scope=sensitivity: auto (labelled eval data, else calibration data), "
       "calib or eval",
       {"auto", "calib", "eval"}},
  };
}

void PruneMagnitude::run(Model& model, PassContext& ctx) {
  const double target = opts_.get_float("sparsity");
  const std::string scope = opts_.get_string("scope");
  SensitivityOptions so;
  if (scope == "sensitivity") {
    so.levels = parse_levels(opts_.get_string("levels"), "prune-magnitude levels");
    so.samples = opts_.get_int("samples");
    so.data = opts_.get_string("data");
  }
  const PruneTargets targets = targets_for(model, ctx);
  report_skipped(targets, "prune-magnitude", ctx);
  if (targets.units.empty()) return report_nothing_to_prune(targets, "prune-magnitude", ctx);

  // Per unit: its own sparsity (scope=layer, or a layer rule) or a share of the
  // total.
  const size_t nu = targets.units.size();
  std::vector<Tensor> w(nu);
  std::vector<double> own(nu, -1);  // < 0: shares the global/sensitivity total
  std::set<std::string> ignored;
  int64_t total_params = 0, fixed_zeros = 0;
  for (size_t i = 0; i < nu; ++i) {
    const PruneUnit& u = targets.units[i];
    w[i] = read_weight(model, u.initializer);
    total_params += u.params;
    const LayerOptions lo = ctx.for_layer(u.layers.front());
    bool overridden = false;
    for (const auto& o : lo.overridden) {
      if (o == "sparsity")
        overridden = true;
      else if (o != "min_params")
        ignored.insert(o);
    }
    if (scope == "layer" || overridden) {
      own[i] = lo.get_float("sparsity");
      fixed_zeros += std::llround(own[i] * static_cast<double>(u.params));
    }
  }
  warn_layer_overrides(ignored, "prune-magnitude", "sparsity and min_params", ctx);

  std::vector<size_t> shared;  // units sharing the total
  int64_t shared_params = 0;
  for (size_t i = 0; i < nu; ++i) {
    if (own[i] < 0) shared.push_back(i), shared_params += targets.units[i].params;
  }
  const int64_t want = std::llround(target * static_cast<double>(total_params)) - fixed_zeros;
  const int64_t k_shared = std::clamp<int64_t>(want, 0, shared_params);
  if (!shared.empty() && k_shared != want && ctx.stage) {
    ctx.stage->notes.push_back(
        "layers with their own sparsity make the total " + report::fmt::percent(target) +
        " unreachable; the other layers were pruned to " +
        report::fmt::percent(static_cast<double>(k_shared) / static_cast<double>(shared_params)));
  }
  std::vector<double> threshold(nu, 0);
  std::optional<SensitivityTable> table;
  if (!shared.empty() && scope == "global") {
    std::vector<const Tensor*> in;
    std::vector<Tensor*> out;
    for (size_t i : shared) in.push_back(&w[i]), out.push_back(&w[i]);
    const MagnitudeCut cut = magnitude_cut(in, k_shared);
    apply_cut(out, cut);
    for (size_t i : shared) threshold[i] = cut.threshold;
    if (ctx.stage) ctx.stage->metrics["threshold"] = cut.threshold;
  } else if (!shared.empty()) {  // scope=sensitivity
    std::vector<PruneUnit> units;
    for (size_t i : shared) units.push_back(targets.units[i]);
    table = measure_sensitivity(model, units, so, ctx);
    const std::vector<double> alloc = allocate_sparsity(*table, k_shared);
    for (size_t j = 0; j < shared.size(); ++j) own[shared[j]] = alloc[j];
  }
  for (size_t i = 0; i < nu; ++i) {
    if (own[i] >= 0) threshold[i] = prune_to_sparsity(w[i], own[i]).threshold;
  }

  std::map<std::string, std::string> record;
  int64_t zeros = 0;
  report::StageRecord sens;  // sensitivity rows, merged into the pruned rows
  if (table) report_sensitivity(*table, sens);
  for (size_t i = 0; i < nu; ++i) {
    const PruneUnit& u = targets.units[i];
    write_weight(model, u.initializer, w[i]);
    const int64_t z = count_zeros(w[i]);
    zeros += z;
    if (z > 0) record[u.initializer] = "magnitude";
    if (!ctx.stage) continue;
    report::LayerRecord row = pruned_row(u, w[i]);
    row.metrics["threshold"] = threshold[i];
    if (own[i] >= 0) row.metrics["target"] = own[i];
    for (const auto& s : sens.layers) {
      if (s.attrs.at("initializer") == u.initializer) row.metrics.insert(s.metrics.begin(), s.metrics.end());
    }
    ctx.stage->layers.push_back(std::move(row));
  }
  record_pruned(model, record);
  const double total = static_cast<double>(zeros) / static_cast<double>(total_params);
  if (ctx.stage) {
    auto& st = *ctx.stage;
    st.columns = {"sparsity", "target", "zeros", "threshold", "initializer", "shared_with"};
    st.columns.insert(st.columns.end(), sens.columns.begin(), sens.columns.end());
    st.metrics["sparsity"] = total;
    st.metrics["prunable_params"] = static_cast<double>(total_params);
    st.metrics["zeros"] = static_cast<double>(zeros);
    st.metrics["layers_pruned"] = static_cast<double>(nu);
    st.metrics.insert(sens.metrics.begin(), sens.metrics.end());
    st.notes.insert(st.notes.end(), sens.notes.begin(), sens.notes.end());
    st.notes.push_back("sparsity " + report::fmt::percent(total, 2) + " over " + std::to_string(total_params) +
                       " prunable weights in " + std::to_string(nu) + " layers (scope=" + scope + ")");
  }
  ctx.log().info(
      "prune-magnitude: {} of {} prunable weights are zero "
      "({:.2f}%) in {} layers",
      zeros, total_params, 100.0 * total, nu);
}

}  // namespace edge::pass
