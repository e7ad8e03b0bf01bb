// quantize-auto<max_drop=0.01>: quantize-static with an accuracy gate. Everything that can be
// int8 is quantized; when the accuracy drop exceeds max_drop, the layers whose quantization
// costs the model output the most go back to float one at a time until the drop is within it;
// then each of those fallbacks is tried int8 again (last fallback but one first) and stays int8
// when the gate still holds, so the result has as few float layers as the search found. At most
// max_trials models are measured; the best one is kept either way and the report says whether
// the gate was met, which layers fell back and why.
//
//   accuracy: top-1 on the evaluation data (--eval-data with --eval-labels) when given
//             (metric=accuracy), else top-1 agreement with the float model on the calibration
//             data (metric=agreement): drop = float top-1 - int8 top-1, or 1 - agreement;
//   ranking:  the noise-to-signal ratio (NSR = 10^(-SQNR/10)) of the model's outputs, float vs
//             QDQ on the first error_samples calibration samples, with everything int8 but one
//             layer: the lower it is with a layer float, the earlier that layer falls back.
// Layer rules apply as in quantize-static (an excluded layer is never quantized).
#include <algorithm>
#include <cstdio>
#include <set>

#include "data/batcher.h"
#include "data/evaluate.h"
#include "passes/quantize/quant_error.h"
#include "passes/quantize/quant_pass_common.h"
#include "passes/quantize/quant_report.h"
#include "passes/quantize/quantize_accuracy_passes.h"
#include "passes/quantize/quantize_passes.h"
#include "passes/quantize/quantizer.h"

namespace edge::pass {

const char* QuantizeAuto::summary() {
  return "quantize-static with an accuracy gate: the noisiest layers fall back to float, one at a time, until the "
         "top-1 drop is <= max_drop";
}

std::vector<OptionSpec> QuantizeAuto::options() {
  std::vector<OptionSpec> o = QuantizeStatic::options();
  for (auto& s : o) {
    if (s.name == "error_samples") {
      s.help = "calibration samples for the per-layer error table that ranks the layers";
      s.min = 1;
    }
  }
  o.push_back(
      {"max_drop", OptionType::kFloat, "0.01", "largest accepted top-1 drop (fraction: 0.01 = 1 point)", {}, 0, 1});
  o.push_back({"max_trials",
               OptionType::kInt,
               "20",
               "models built and measured at most (the all-int8 one included)",
               {},
               1,
               10000});
  o.push_back({"metric",
               OptionType::kString,
               "auto",
               "accuracy: top-1 on labelled --eval-data; agreement: top-1 agreement with the float model on "
               "--calib-data; auto: accuracy when labels are given",
               {"auto", "accuracy", "agreement"}});
  o.push_back({"eval_samples", OptionType::kInt, "0", "samples the metric is measured on (0 = all)", {}, 0, 1e9});
  return o;
}

std::string QuantizeAuto::check_input(const Model& model) {
  const std::string q = quant::quantized_node(model);
  return q.empty() ? "" : model.name() + " is already quantized (" + q + "); quantize-auto takes a float model";
}

namespace {

using quant::Quantizer;

struct Trial {
  std::set<std::string> fallback;
  double metric = 0, drop = 0;
};

// Noise-to-signal ratio (sum of squared differences over sum of squares) of every float output of
// `quantized` against `float_model`, over the first o.samples samples of `data`.
double output_nsr(const Model& float_model, const Model& quantized, data::Dataset& data, const quant::ErrorOptions& o) {
  auto fs = rt::Session::create(float_model, o.session);
  auto qs = rt::Session::create(quantized, o.session);
  data::Batcher batcher(*fs, data, o.batch);
  quant::ErrorStats e;
  const int64_t total = std::min<int64_t>(o.samples, data.count() - data.position());
  int64_t done = 0;
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  while (done < total && batcher.next(data, &idx, &feeds)) {
    const auto f = fs->run(feeds);
    const auto q = qs->run(feeds);
    for (size_t k = 0; k < f.size() && k < q.size(); ++k) {
      if (f[k].second.dtype() != DType::kFloat || q[k].second.numel() != f[k].second.numel()) continue;
      e.add(f[k].second.data<float>(), q[k].second.data<float>(), f[k].second.numel());
    }
    done += static_cast<int64_t>(idx.size());
  }
  return e.signal > 0 ? e.noise / e.signal : 0.0;
}

}  // namespace

void QuantizeAuto::run(Model& model, PassContext& ctx) {
  if (ctx.calib.empty()) {
    fail("quantize-auto needs calibration data: give --calib-data (or data.calib in the recipe)");
  }
  const double max_drop = opts_.get_float("max_drop");
  const int64_t max_trials = opts_.get_int("max_trials");
  std::string metric = opts_.get_string("metric");
  const std::optional<data::Labels> labels = ctx.eval.empty() ? std::nullopt : ctx.labels(ctx.eval);
  if (metric == "auto") metric = labels ? "accuracy" : "agreement";
  if (metric == "accuracy" && !labels) {
    fail("quantize-auto<metric=accuracy> needs labelled evaluation data: give --eval-data and --eval-labels");
  }
  const DataSpec& metric_data = metric == "accuracy" ? ctx.eval : ctx.calib;

  quant::QuantizeConfig config;
  config.format = opts_.get_string("format") == "qoperator" ? quant::Format::kQOperator : quant::Format::kQdq;
  config.activations = opts_.get_string("activations") == "s8" ? quant::QType::kInt8 : quant::QType::kUint8;
  config.raise_opset = opts_.get_bool("raise_opset");
  std::map<std::string, std::string> reasons;  // fallback layer -> why
  calib::Ranges ranges;
  auto build = [&](const std::set<std::string>& fallback) {
    config.layer = [&ctx, fallback, &reasons](const onnx::NodeProto& n) {
      const LayerOptions lo = ctx.for_layer(n);
      quant::LayerChoice c;
      c.excluded = lo.excluded || fallback.count(n.name());
      if (!lo.excluded && fallback.count(n.name())) c.reason = "quantize-auto fallback: " + reasons[n.name()];
      c.weights = quant::layer_weight_options(lo);
      return c;
    };
    auto q = std::make_unique<Quantizer>(model, config);
    std::vector<std::string> missing;
    for (const auto& t : q->calibrated()) {
      if (!ranges.count(t)) missing.push_back(t);
    }
    if (!missing.empty()) {
      for (auto& [name, r] : quant::calibration_ranges(q->float_model(), missing, opts_, ctx, "quantize-auto")) {
        ranges[name] = r;
      }
    }
    std::map<std::string, quant::Range> plain;
    for (const auto& t : q->calibrated()) plain[t] = {ranges.at(t).min, ranges.at(t).max};
    q->apply(plain);
    return q;
  };
  auto measure = [&](const Model& m, const Model& float_model) {
    auto session = ctx.make_session(m);
    auto reference = metric == "agreement" ? ctx.make_session(float_model) : nullptr;
    auto data = ctx.open(metric_data);
    data::EvalOptions eo;
    eo.batch = metric_data.batch;
    eo.limit = opts_.get_int("eval_samples");
    const auto r =
        data::evaluate(*session, *data, labels && metric == "accuracy" ? &*labels : nullptr, reference.get(), eo);
    return metric == "accuracy" ? r.top1 : r.agreement_top1;
  };

  // Trial 0: everything int8. The float baseline first.
  std::unique_ptr<Quantizer> q = build({});
  const double float_metric = metric == "accuracy" ? measure(q->float_model(), q->float_model()) : 1.0;
  int64_t trials = 0;
  auto run_trial = [&](const std::set<std::string>& fallback) {
    auto tq = build(fallback);
    Trial t{fallback, measure(tq->qdq(), tq->float_model()), 0};
    t.drop = float_metric - t.metric;
    ++trials;
    ctx.log().info("quantize-auto: trial {}: {} float layers, {} {:.4f}, drop {:.4f}", trials, fallback.size(), metric,
                   t.metric, t.drop);
    return t;
  };
  const Trial all_int8 = run_trial({});
  Trial best = all_int8;
  auto better = [](const Trial& a, const Trial& b) {  // a better than b
    return a.drop < b.drop - 1e-12 || (a.drop <= b.drop + 1e-12 && a.fallback.size() < b.fallback.size());
  };

  // Ranking: how much the model output's noise falls when one layer alone goes back to float.
  quant::ErrorOptions eo;
  eo.samples = opts_.get_int("error_samples");
  eo.batch = ctx.calib.batch;
  eo.session = ctx.session_options;
  auto noise_of = [&](const Quantizer& tq) {
    auto data = ctx.open(ctx.calib);
    return output_nsr(tq.float_model(), tq.qdq(), *data, eo);
  };
  const auto holds = [max_drop](double drop) { return drop <= max_drop + 1e-9; };
  bool met = holds(all_int8.drop);
  const double all_nsr = met ? 0.0 : noise_of(*q);
  struct Ranked {
    std::string name;
    double nsr = 0;  // output NSR with this layer float
  };
  std::vector<Ranked> ranking;
  const quant::QuantPlan& plan = q->plan();
  const auto& g = q->float_model().graph();
  for (int i : plan.order) {
    if (met) break;  // no fallback needed: no ranking
    if (plan.nodes[static_cast<size_t>(i)].q.kind != quant::NodeQuant::kCompute) continue;
    const std::string& name = g.node(i).name();
    ranking.push_back({name, noise_of(*build({name}))});
  }
  std::stable_sort(ranking.begin(), ranking.end(), [](const Ranked& a, const Ranked& b) { return a.nsr < b.nsr; });
  std::map<std::string, double> gain;
  for (const auto& r : ranking) gain[r.name] = all_nsr - r.nsr;

  // Greedy fallback, then try each fallback int8 again.
  std::vector<std::string> order;  // fallbacks in the order they were made
  std::set<std::string> fallback;
  double last_drop = all_int8.drop;
  for (size_t k = 0; !met && k < ranking.size() && trials < max_trials; ++k) {
    const Ranked& r = ranking[k];
    fallback.insert(r.name);
    order.push_back(r.name);
    const Trial t = run_trial(fallback);
    char buf[200];
    std::snprintf(buf, sizeof buf, "noise rank %zu (output NSR %.3g -> %.3g with it alone float); drop %.4f -> %.4f",
                  k + 1, all_nsr, r.nsr, last_drop, t.drop);
    reasons[r.name] = buf;
    last_drop = t.drop;
    if (better(t, best)) best = t;
    met = holds(t.drop);
    if (met) best = t;
  }
  if (met && order.size() > 1) {
    for (auto it = order.rbegin() + 1; it != order.rend() && trials < max_trials; ++it) {
      std::set<std::string> fewer = best.fallback;
      fewer.erase(*it);
      const Trial t = run_trial(fewer);
      if (holds(t.drop)) best = t;
    }
  }

  // The kept model, its error table and report.
  q = build(best.fallback);
  const calib::Ranges used = [&] {
    calib::Ranges r;
    for (const auto& t : q->calibrated()) r[t] = ranges.at(t);
    return r;
  }();
  std::map<std::string, quant::ErrorProbe> final_probes;
  for (const auto& node : q->plan().nodes) {
    if (node.q.kind == quant::NodeQuant::kCompute) {
      final_probes[node.output] = {q->values().names(node.output).q, q->values().params(node.output)};
    }
  }
  std::map<std::string, quant::ErrorStats> errors;
  {
    auto data = ctx.open(ctx.calib);
    errors = quant::measure_errors(q->float_model(), q->qdq(), *data, final_probes, eo);
  }
  const bool gate = holds(best.drop);
  if (ctx.stage) {
    quant::report_quantization(*q, used, errors, opts_, *ctx.stage);
    for (auto& row : ctx.stage->layers) {
      if (auto a = gain.find(row.name); a != gain.end()) row.metrics["nsr_gain"] = a->second;
      if (best.fallback.count(row.name)) row.attrs["fallback"] = "true";
    }
    auto& m = ctx.stage->metrics;
    m["max_drop"] = max_drop;
    m["float_" + metric] = float_metric;
    m["int8_" + metric] = best.metric;
    m["drop"] = best.drop;
    m["all_int8_drop"] = all_int8.drop;
    m["trials"] = static_cast<double>(trials);
    m["fallback_layers"] = static_cast<double>(best.fallback.size());
    m["gate_met"] = gate ? 1 : 0;
    std::string list;
    for (const auto& name : order) {
      if (best.fallback.count(name)) list += (list.empty() ? "" : "; ") + name + " (" + reasons[name] + ")";
    }
    ctx.stage->notes.push_back(
        "quantize-auto: metric " + metric +
        (metric == "accuracy" ? " (top-1 on the evaluation data)"
                              : " (top-1 agreement with the float model on the calibration data)") +
        ", max_drop " + opts_.values().at("max_drop") + "; all-int8 drop " + std::to_string(all_int8.drop) +
        ", kept drop " + std::to_string(best.drop) + " after " + std::to_string(trials) + " trials");
    ctx.stage->notes.push_back(best.fallback.empty() ? std::string("no layer fell back to float")
                                                     : "fell back to float: " + list);
    if (!gate) {
      ctx.stage->notes.push_back("warning: max_drop " + opts_.values().at("max_drop") + " not met within " +
                                 std::to_string(max_trials) + " trials; kept the best model found (drop " +
                                 std::to_string(best.drop) + ")");
    }
  }
  if (!gate) {
    ctx.log().warn(
        "quantize-auto: max_drop {} not met within {} trials; kept the best model (drop {:.4f}, {} float layers)",
        max_drop, max_trials, best.drop, best.fallback.size());
  }
  ctx.log().info("quantize-auto: {} layers int8, {} fell back, drop {:.4f} ({}), {} trials",
                 q->plan().count(quant::NodeQuant::kCompute), best.fallback.size(), best.drop, metric, trials);
  ctx.quantized_from = std::make_shared<const Model>(q->float_model());
  model = q->result();
}

}  // namespace edge::pass
