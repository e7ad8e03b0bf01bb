#include "pass/compress.h"

#include <spdlog/sinks/null_sink.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <tuple>

#include "data/batcher.h"
#include "data/evaluate.h"
#include "ir/graph_edit.h"
#include "ir/model_summary.h"
#include "ir/sha256.h"
#include "ir/sparse_storage.h"
#include "ir/text_util.h"
#include "ir/zstd_container.h"
#include "pass/compress_storage.h"

namespace edge::pass {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Static metrics: size (as stored), params, sparsity, MACs.
report::ModelMetrics static_metrics(const Model& m, bool sparse) {
  report::ModelMetrics mm;
  const StoredModelSize size = stored_model_size(m, sparse);
  mm.bytes = size.stored_bytes;
  mm.dense_bytes = size.dense_bytes;
  mm.sparse_initializers = size.sparse_tensors;
  ModelSummary s = summarize_model(m);
  mm.params = s.total_params;
  mm.sparsity = s.weight_sparsity;
  mm.macs = s.total_macs;
  return mm;
}

struct Measurer {
  const CompressOptions& opts;
  PassContext& ctx;
  std::unique_ptr<rt::Session> reference;  // the original model, for agreement

  // Accuracy/agreement on the eval data (when given) and latency (when asked).
  void dynamic_metrics(const Model& m, report::ModelMetrics& mm, bool is_original) {
    if (!opts.eval.empty()) {
      auto session = ctx.make_session(m);
      auto data = ctx.open(ctx.eval);
      auto labels = ctx.labels(opts.eval);
      data::EvalOptions eo;
      eo.batch = opts.eval.batch;
      if (ctx.progress) {
        std::string what = is_original ? "evaluate original" : "evaluate";
        eo.progress = [&, what](int64_t done, int64_t total) { ctx.progress(what, done, total); };
      }
      if (is_original) {
        auto r = data::evaluate(*session, *data, labels ? &*labels : nullptr, nullptr, eo);
        if (r.has_labels) mm.top1 = r.top1;
      } else {
        auto r = data::evaluate(*session, *data, labels ? &*labels : nullptr, reference.get(), eo);
        if (r.has_labels) mm.top1 = r.top1;
        mm.agreement_top1 = r.agreement_top1;
        mm.cosine = r.cosine;
      }
    }
    if (opts.measure_latency || opts.gates.max_latency_ms) {
      auto session = ctx.make_session(m);
      auto feeds = rt::random_feeds(*session, opts.seed);
      session->run(feeds);  // warm-up
      // Several repeats: the median of their medians, and half their range as the noise.
      constexpr int kRepeats = 5;
      std::vector<double> medians;
      for (int rep = 0; rep < kRepeats; ++rep) {
        std::vector<double> t;
        for (int i = 0; i < std::max(1, opts.latency_runs); ++i) {
          auto t0 = Clock::now();
          session->run(feeds);
          t.push_back(seconds_since(t0) * 1000.0);
        }
        std::sort(t.begin(), t.end());
        medians.push_back(t[t.size() / 2]);
      }
      std::sort(medians.begin(), medians.end());
      mm.latency_ms = medians[medians.size() / 2];
      mm.latency_spread_ms = (medians.back() - medians.front()) / 2;
    }
  }
};

void collect_node_names(const onnx::GraphProto& g, std::vector<std::string>& out) {
  for (const auto& n : g.node()) {
    out.push_back(n.name());
    for (const auto* sub : subgraphs_of(n)) collect_node_names(*sub, out);
  }
}

// The check every stage's result must pass (and the input model before any stage): valid
// ONNX, shape inference, and one run in the edge runtime with the pipeline's session options
// (--shape fixes dynamic dims). The run uses the first batch of the given data when there is
// data (its shapes are the real ones), else random inputs (dynamic dims as 1).
struct StageCheck {
  rt::SessionOptions session;
  rt::NamedTensors data_feeds;
  std::string data_source;  // where data_feeds came from ("" = random inputs)
  uint64_t seed = 0;

  std::string how() const {
    return data_source.empty() ? "random inputs of the declared shapes, dynamic dims as 1 or as --shape gives them"
                               : "the first batch of " + data_source;
  }
  void run(const Model& m) const {
    m.check();
    auto s = rt::Session::create(as_loaded(m), session);
    if (data_source.empty()) {
      s->run(rt::random_feeds(*s, seed));
      return;
    }
    // Inputs the data does not cover (none, unless a stage added one) get random values.
    std::set<std::string> covered;
    for (const auto& [name, t] : data_feeds) covered.insert(name);
    rt::NamedTensors feeds = rt::random_feeds(*s, seed, covered);
    for (const auto& in : s->inputs()) {
      for (const auto& f : data_feeds) {
        if (f.first == in.name) feeds.push_back(f);
      }
    }
    s->run(feeds);
  }
};

void set_metadata(Model& m, const std::string& key, const std::string& value) {
  auto* props = m.proto().mutable_metadata_props();
  for (auto& p : *props) {
    if (p.key() == key) {
      p.set_value(value);
      return;
    }
  }
  auto* p = props->Add();
  p->set_key(key);
  p->set_value(value);
}

void evaluate_gates(const CompressOptions& opts, report::Report& r) {
  const auto& g = opts.gates;
  auto add = [&](const std::string& name, double limit, double value, bool passed, const std::string& unit,
                 const std::string& detail) { r.gates.push_back({name, limit, value, passed, unit, detail}); };
  char buf[256];
  if (g.max_accuracy_drop) {
    if (!r.original.top1 || !r.result.top1) {
      fail("--max-accuracy-drop needs labelled evaluation data (--eval-data and --eval-labels)");
    }
    double drop = *r.original.top1 - *r.result.top1;
    std::snprintf(buf, sizeof buf, "top-1 %.4f -> %.4f: dropped %.4f (limit %.4f)", *r.original.top1, *r.result.top1,
                  drop, *g.max_accuracy_drop);
    add("max-accuracy-drop", *g.max_accuracy_drop, drop, drop <= *g.max_accuracy_drop + 1e-12, "", buf);
  }
  if (g.min_agreement) {
    if (!r.result.agreement_top1) fail("--min-agreement needs evaluation data (--eval-data)");
    std::snprintf(buf, sizeof buf, "top-1 agreement with the original %.4f (minimum %.4f)", *r.result.agreement_top1,
                  *g.min_agreement);
    add("min-agreement", *g.min_agreement, *r.result.agreement_top1, *r.result.agreement_top1 >= *g.min_agreement, "", buf);
  }
  if (g.max_size) {
    // The file written: the .onnx.zst container when the output is one.
    const uint64_t size = r.result.file_bytes.value_or(r.result.bytes);
    double v = static_cast<double>(size);
    std::snprintf(buf, sizeof buf, "model %sis %.0f bytes (limit %llu)", r.result.file_bytes ? "file (.onnx.zst) " : "",
                  v, static_cast<unsigned long long>(*g.max_size));
    add("max-size", static_cast<double>(*g.max_size), v, size <= *g.max_size, "bytes", buf);
  }
  if (g.max_latency_ms) {
    double v = r.result.latency_ms.value_or(0);
    std::snprintf(buf, sizeof buf, "median latency %.3f ms (limit %.3f ms)", v, *g.max_latency_ms);
    add("max-latency-ms", *g.max_latency_ms, v, v <= *g.max_latency_ms, "ms", buf);
  }
  if (g.max_params) {
    double v = static_cast<double>(r.result.params);
    std::snprintf(buf, sizeof buf, "%lld params (limit %lld)", static_cast<long long>(r.result.params),
                  static_cast<long long>(*g.max_params));
    add("max-params", static_cast<double>(*g.max_params), v, r.result.params <= *g.max_params, "params", buf);
  }
}

CompressResult compress_pipeline(const Model& input, const std::string& input_path, const CompressOptions& opts);

}  // namespace

// A run that fails leaves no file behind: a calibration cache this run created goes too (one
// that was there before is a cache the user keeps).
CompressResult compress(const Model& input, const std::string& input_path, const CompressOptions& opts) {
  std::error_code ec;
  const bool cache_existed = opts.calib_cache.empty() || std::filesystem::exists(opts.calib_cache, ec);
  try {
    return compress_pipeline(input, input_path, opts);
  } catch (...) {
    if (!cache_existed) std::filesystem::remove(opts.calib_cache, ec);
    throw;
  }
}

namespace {

CompressResult compress_pipeline(const Model& input, const std::string& input_path, const CompressOptions& opts) {
  auto t_start = Clock::now();
  auto logger = opts.logger ? opts.logger : std::make_shared<spdlog::logger>("compress", std::make_shared<spdlog::sinks::null_sink_mt>());
  PassContext ctx(logger, opts.seed);
  ctx.original = &input;
  ctx.calib = opts.calib;
  ctx.calib_cache = opts.calib_cache;
  ctx.eval = opts.eval;
  ctx.train = opts.train;
  // Image folders are decoded as `compressor eval` does: channels and (unless --resize) the
  // size of the model's image input.
  try {
    auto session = ctx.make_session(input);
    for (DataSpec* spec : {&ctx.calib, &ctx.eval, &ctx.train}) {
      if (!spec->empty()) spec->options = data::options_for_model(spec->path, spec->options, *session);
    }
  } catch (const Error&) {
    // A model edge-run cannot prepare is reported by the input check below.
  }
  ctx.session_options = opts.session;
  // Layer rules are checked against this pipeline before anything runs.
  ctx.layer_rules = LayerRules(opts.layers, opts.pipeline, "layer rules");
  ctx.progress = opts.progress;

  CompressResult res;
  report::Report& r = res.report;
  r.tool_version = opts.tool_version;
  r.input_path = input_path;
  r.input_sha256 = input_path.empty() ? sha256_hex(input.proto().SerializeAsString()) : sha256_file(input_path);
  r.pipeline = canonical_pipeline(opts.pipeline);
  r.seed = opts.seed;
  r.started_at = utc_now();
  // Gates must have what they need, and data given must open and match: fail before any
  // stage runs.
  if (opts.gates.max_accuracy_drop && (opts.eval.empty() || opts.eval.labels.empty())) {
    fail("--max-accuracy-drop needs labelled evaluation data (--eval-data and --eval-labels)");
  }
  if (opts.gates.min_agreement && opts.eval.empty()) fail("--min-agreement needs evaluation data (--eval-data)");
  for (const auto& entry : opts.pipeline) {
    if (entry.info->needs_calibration_data && opts.calib.empty()) {
      fail("stage '" + entry.info->name + "' needs calibration data: give --calib-data (or data.calib in the recipe)");
    }
    if (entry.info->check_input) {
      if (auto why = entry.info->check_input(input); !why.empty()) fail("stage '" + entry.info->name + "': " + why);
    }
  }
  StageCheck check{opts.session, {}, "", opts.seed};
  for (const DataSpec* spec : {&ctx.eval, &ctx.calib, &ctx.train}) {
    if (spec->empty()) continue;
    auto d = ctx.open(*spec);
    if (spec == &ctx.calib && d->count() == 0) fail(spec->path.string() + ": calibration data holds no samples");
    if (auto l = ctx.labels(*spec)) data::check_labels(*d, *l);
    // The samples must fit the model's inputs: feed the first batch once.
    auto session = ctx.make_session(input);
    data::Batcher batcher(*session, *d, spec->batch);
    std::vector<int64_t> idx;
    rt::NamedTensors feeds;
    try {
      if (batcher.next(*d, &idx, &feeds)) session->run(feeds);
    } catch (const Error& e) {
      throw Error(e.code(), spec->path.string() + ": does not fit the model: " + e.what());
    }
    if (spec->batch > 1 && batcher.batch_size() != spec->batch) {
      logger->warn("{}: --batch {} ignored: the model's batch dim is fixed to {}", spec->path.string(), spec->batch,
                   batcher.batch_size());
    }
    if (check.data_source.empty() && !feeds.empty()) {
      check.data_feeds = std::move(feeds);
      check.data_source = spec->path.string();
    }
  }
  // A model that fails the check before any stage touched it is bad input, not a stage's fault.
  try {
    check.run(input);
  } catch (const Error& e) {
    std::string hint;
    if (check.data_source.empty()) {
      hint = "; if it needs other input sizes, give them with --shape NAME:DIMS (or recipe 'shapes:') or give data";
    }
    throw Error(ErrorCode::kInvalidInput, (input_path.empty() ? std::string("the input model") : input_path) +
                                          ": fails the check run after every stage (" + check.how() + "): " + e.what() +
                                          hint);
  }
  // Data no stage of this pipeline reads is most likely a mistake: say so.
  bool reads_calib = false, reads_train = false;
  for (const auto& entry : opts.pipeline) {
    reads_calib = reads_calib || entry.info->stage == StageKind::Quantize || entry.info->stage == StageKind::Prune;
    reads_calib = reads_calib || entry.info->name == "qat";  // trains on it when no --train-data is given
    reads_train = reads_train || entry.info->stage == StageKind::Distill || entry.info->stage == StageKind::Prune;
  }
  for (const auto& [spec, used, flag] : {std::tuple{&opts.calib, reads_calib, "--calib-data"},
                                         std::tuple{&opts.train, reads_train, "--train-data"}}) {
    if (spec->empty() || used) continue;
    const std::string note = std::string(flag) + " " + spec->path.string() + " is not used: no stage of this pipeline reads it";
    r.notes.push_back(note);
    logger->warn("{}", note);
  }
  r.original = static_metrics(input, false);
  // Layer rules are checked against the layer names of every stage's input.
  std::vector<bool> rule_matched(ctx.layer_rules.rules().size(), false);
  const auto match_rules = [&](const Model& m) {
    std::vector<std::string> names;  // subgraph nodes too
    collect_node_names(m.graph(), names);
    for (size_t k = 0; k < rule_matched.size(); ++k) {
      for (const auto& n : names) {
        if (rule_matched[k]) break;
        rule_matched[k] = ctx.layer_rules.matches(k, n);
      }
    }
  };
  const auto warn_unmatched_rules = [&] {
    for (size_t k = 0; k < rule_matched.size(); ++k) {
      if (rule_matched[k]) continue;
      const std::string w = "warning: layer rule '" + ctx.layer_rules.rules()[k].match +
                            "' matches no layer (`compressor inspect` lists the names)";
      logger->warn("{}", w);
      r.notes.push_back(w);
    }
  };
  match_rules(input);
  Measurer measure{opts, ctx, nullptr};
  if (opts.dry_run) {
    warn_unmatched_rules();
    r.result = r.original;
    r.verdict = "dry-run";
    r.total_seconds = seconds_since(t_start);
    res.model = input;
    return res;
  }
  measure.dynamic_metrics(input, r.original, true);
  if (!opts.eval.empty()) measure.reference = ctx.make_session(input);

  Model model = input;
  std::string unrunnable;  // why edge-run cannot run the current model ("" when it can)
  for (const auto& entry : opts.pipeline) {
    report::StageRecord stage;
    stage.name = entry.info->name;
    stage.options = entry.options.canonical();
    stage.kind = stage_name(entry.info->stage);
    stage.before = static_metrics(model, !opts.dense_weights);
    stage.nodes_before = model.graph().node_size();
    match_rules(model);
    ctx.stage = &stage;
    logger->info("stage {}: running", entry.canonical());
    auto t0 = Clock::now();
    try {
      ctx.run_pass(*entry.info, entry.options, model);
    } catch (const Error& e) {
      throw Error(e.code(), "stage '" + entry.canonical() + "': " + e.what());
    }
    stage.seconds = seconds_since(t0);
    ctx.stage = nullptr;
    // The input passed this check, so a failure is the stage's fault, except a valid model
    // holding an op edge-run has no kernel for (an ONNX Runtime contrib op): it is written,
    // with a note that edge-run did not run or measure it.
    try {
      check.run(model);
      unrunnable.clear();
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnsupported) {
        throw Error(ErrorCode::kInternal, "stage '" + entry.canonical() + "' produced a broken model (checked with " +
                                              check.how() + "): " + e.what());
      }
      unrunnable = e.what();
    }
    stage.after = static_metrics(model, !opts.dense_weights);
    add_storage_columns(model, stage, !opts.dense_weights);
    stage.nodes_after = model.graph().node_size();
    if (!unrunnable.empty()) {
      const std::string w = "edge-run cannot run the result, so it was not run or measured: " + unrunnable;
      logger->warn("stage {}: {}", entry.canonical(), w);
      stage.notes.push_back(w);
    } else if (entry.info->stage != StageKind::Cleanup) {
      measure.dynamic_metrics(model, stage.after, false);
    }
    logger->info("stage {}: {} -> {} bytes in {:.3f} s", entry.canonical(), stage.before.bytes, stage.after.bytes,
                 stage.seconds);
    r.stages.push_back(std::move(stage));
  }
  warn_unmatched_rules();
  set_metadata(model, kMetaVersion, opts.tool_version);
  set_metadata(model, kMetaPipeline, r.pipeline);
  set_metadata(model, kMetaSeed, std::to_string(opts.seed));
  set_metadata(model, kMetaInputSha, r.input_sha256);
  r.result = static_metrics(model, !opts.dense_weights);
  if (r.result.sparse_initializers > 0) {
    r.notes.push_back(std::to_string(r.result.sparse_initializers) +
                      " initializer(s) stored as sparse_initializer (non-zero values + int64 indices): " +
                      format_bytes(r.result.dense_bytes) + " dense -> " + format_bytes(r.result.bytes) +
                      " as written (--dense-weights writes them dense)");
  }
  if (is_zstd_path(opts.output)) {
    SavedModel saved;
    res.encoded = encode_model(model, opts.output, save_options(opts), &saved);
    r.result.file_bytes = saved.file_bytes;
  }
  if (unrunnable.empty()) {
    measure.dynamic_metrics(model, r.result, false);
  } else {
    r.notes.push_back("edge-run cannot run the result (" + unrunnable + "): accuracy, agreement and latency not measured");
    if (opts.gates.max_accuracy_drop || opts.gates.min_agreement || opts.gates.max_latency_ms) {
      fail("edge-run cannot run the result, so its accuracy/latency gates cannot be checked: " + unrunnable);
    }
  }
  evaluate_gates(opts, r);
  // A training stage that stopped on a NaN/inf loss kept its best checkpoint; without gates to
  // judge that result, the run fails (exit 1, outputs written).
  for (const auto& st : r.stages) {
    auto it = st.metrics.find("nonfinite_loss");
    if (it == st.metrics.end() || it->second == 0 || opts.gates.any()) continue;
    r.gates.push_back({"finite-loss", 0, 1, false, "", "stage '" + st.name + "' stopped on a non-finite loss (best checkpoint kept); give gates to accept such a result"});
  }
  res.gates_passed = std::all_of(r.gates.begin(), r.gates.end(), [](const auto& g) { return g.passed; });
  r.verdict = res.gates_passed ? "pass" : "gate-failed";
  r.total_seconds = seconds_since(t_start);
  res.model = std::move(model);
  return res;
}

}  // namespace
}  // namespace edge::pass
