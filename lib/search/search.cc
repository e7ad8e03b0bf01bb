#include "search/search.h"

#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <set>

#include "ir/atomic_file.h"
#include "ir/sha256.h"
#include "ir/zstd_container.h"
#include "pass/compress.h"
#include "pass/pipeline.h"
#include "search/candidates.h"
#include "search/measure.h"
#include "search/pareto.h"
#include "search/search_io.h"

namespace edge::search {
namespace fs = std::filesystem;

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A layer counts as slower when it takes 15% and 3 µs more than the float/dense one: the
// per-node profile of a loaded machine is noisy below that.
constexpr double kSlowerRatio = 1.15;
constexpr double kSlowerMs = 0.003;

struct Runner {
  const SearchOptions& opts;
  const Model& model;
  std::string model_sha;
  std::shared_ptr<spdlog::logger> log;
  Measurer meas;
  std::optional<Model> float_model;  // the cleanup-only model: per-layer times to compare with

  fs::path work_path(const std::string& key) const {
    return opts.out_dir / "work" / (key.substr(0, 16) + (is_zstd_path(opts.output) ? ".onnx.zst" : ".onnx"));
  }

  pass::CompressOptions compress_options(const Candidate& c, const fs::path& out) const {
    pass::CompressOptions o;
    o.pipeline = pass::parse_pipeline(c.pipeline);
    o.seed = opts.seed;
    o.calib = opts.calib;
    o.train = opts.train;
    // quantize-auto reads labelled eval data through the context; other stages ignore it.
    for (const auto& e : o.pipeline) {
      if (e.info->name == "quantize-auto" || e.info->name == "distill") o.eval = opts.eval;
    }
    for (const auto& l : c.excluded) o.layers.push_back({l, true, false, {}});
    o.session.threads = opts.threads;
    o.session.input_shapes = opts.input_shapes;
    o.calib_cache = opts.out_dir / "calib.json";
    o.output = out;
    o.tool_version = opts.tool_version;
    return o;
  }

  // Builds the candidate through pass::compress and writes it to `out`.
  pass::CompressResult build(const Candidate& c, const fs::path& out) const {
    auto o = compress_options(c, out);
    auto res = pass::compress(model, opts.model_path.string(), o);
    fs::create_directories(out.parent_path());
    pass::write_result(res, out, o);
    return res;
  }

  Metrics measure_file(const pass::CompressResult& res, const fs::path& file) const {
    Metrics m = meas.measure(res.model);
    m.size_bytes = fs::file_size(file);
    return m;
  }

  // Layers the candidate changed (pruned rows, or a different op/kernel than the float model)
  // that run slower than in the float/dense model.
  std::vector<LayerRevert> slower_layers(const pass::CompressResult& res) {
    if (!float_model) {
      Candidate base;
      base.pipeline = cleanup_prefix(model);
      float_model = build(base, opts.out_dir / "work" / "float-baseline.onnx").model;
    }
    // Float and candidate profiled back to back, each node's fastest run kept.
    const auto float_times = meas.layer_times(*float_model);
    const auto times = meas.layer_times(res.model);
    std::set<std::string> pruned;
    for (const auto& s : res.report.stages) {
      for (const auto& l : s.layers) {
        auto it = l.metrics.find("sparsity");
        if (s.kind == "prune" && it != l.metrics.end() && it->second > 0) pruned.insert(l.name);
      }
    }
    std::vector<LayerRevert> out;
    for (const auto& [name, t] : times) {
      auto f = float_times.find(name);
      if (f == float_times.end()) continue;
      const bool changed = pruned.count(name) || t.op != f->second.op || t.kernel != f->second.kernel;
      if (changed && t.ms > f->second.ms * kSlowerRatio && t.ms - f->second.ms > kSlowerMs) {
        out.push_back({name, t.op, t.ms, f->second.ms});
      }
    }
    return out;
  }

  bool touches_layers(const Candidate& c) const {
    for (const auto& e : pass::parse_pipeline(c.pipeline)) {
      if (e.info->stage == pass::StageKind::Prune || e.info->stage == pass::StageKind::Quantize) return true;
    }
    return false;
  }

  // Builds and measures `c`, reverting slower layers unless the objective is size.
  void run(Candidate& c) {
    const fs::path out = work_path(c.cache_key);
    auto res = build(c, out);
    Metrics m = measure_file(res, out);
    if (opts.objective != Objective::kSize && touches_layers(c)) {
      auto slower = slower_layers(res);
      if (!slower.empty()) {
        Candidate rc = c;
        for (const auto& s : slower) rc.excluded.push_back(s.layer);
        try {
          auto res2 = build(rc, out);
          Metrics m2 = measure_file(res2, out);
          if (m2.latency_ms < m.latency_ms) {
            m = m2;
            c.excluded = rc.excluded;
            c.reverts = slower;
            log->info("candidate {}: reverted {} layer(s) that ran slower than float/dense", c.id, slower.size());
          } else {
            // Layer by layer slower, yet the whole model is not faster without them (the float
            // islands add Quantize/Dequantize boundaries): kept as built.
            log->info(
                "candidate {}: reverting {} slower layer(s) gave {:.4f} ms against {:.4f} ms as built; kept as built",
                c.id, slower.size(), m2.latency_ms, m.latency_ms);
            c.kept_slower = slower;
            c.reverted_latency_ms = m2.latency_ms;
            build(c, out);
          }
        } catch (const Error& e) {
          log->warn("candidate {}: reverting slower layers failed ({}); kept as built", c.id, e.what());
          build(c, out);
        }
      }
    }
    c.metrics = m;
  }
};

std::string best_line(const std::vector<Candidate>& cands, Objective obj) {
  const int id = pick_best(cands, obj);
  for (const auto& c : cands) {
    if (c.id != id) continue;
    char buf[200];
    std::snprintf(buf, sizeof buf, "best #%d: %llu bytes, %.3f ms, accuracy %.4f", id,
                  static_cast<unsigned long long>(c.metrics->size_bytes), c.metrics->latency_ms,
                  accuracy_score(*c.metrics));
    return buf;
  }
  return "no candidate meets the gates yet";
}

// Copies the front's (and the chosen one's) models and recipes into D/candidates, the chosen
// one to `output`; writes pareto.json and report.html.
void write_outputs(const SearchResult& r, const SearchOptions& opts,
                   const std::function<fs::path(const Candidate&)>& model_of) {
  const fs::path dir = opts.out_dir / "candidates";
  fs::create_directories(dir);
  const int chosen = r.best_id ? r.best_id : r.closest_id;
  for (const auto& c : r.candidates) {
    if (!c.metrics || !(c.on_front || c.id == chosen)) continue;
    const fs::path src = model_of(c);
    const fs::path dst = dir / candidate_file(c.id, opts);
    if (fs::absolute(src) != fs::absolute(dst)) fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    write_file_atomic(dir / (candidate_file(c.id, opts).substr(0, 2) + ".yaml"), recipe_yaml(c, opts));
    if (c.id == chosen && !opts.output.empty()) {
      std::ifstream in(src, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      write_file_atomic(opts.output, bytes);
    }
  }
  write_file_atomic(opts.out_dir / "pareto.json", pareto_json(r, opts));
  write_file_atomic(opts.out_dir / "report.html", report_html(r, opts));
}

void check_options(const SearchOptions& opts) {
  if (opts.eval.empty()) fail("search needs a measure: give --eval-data (and --eval-labels for top-1)");
  if (opts.out_dir.empty()) fail("missing --out-dir");
}

}  // namespace

SearchResult run_search(const SearchOptions& opts) {
  const auto t_start = Clock::now();
  check_options(opts);
  auto log = opts.logger ? opts.logger
                         : std::make_shared<spdlog::logger>("search", std::make_shared<spdlog::sinks::null_sink_mt>());
  Model model = load_model(opts.model_path);
  fs::create_directories(opts.out_dir / "work");
  SearchResult r;
  r.model_sha256 = sha256_file(opts.model_path);
  Runner run{opts, model, r.model_sha256, log, Measurer(opts, model), std::nullopt};
  r.original = run.meas.measure(model);
  r.original.size_bytes = fs::file_size(opts.model_path);
  const double one_measure = since(t_start);
  const double budget_s = opts.budget_minutes * 60.0;
  if (opts.budget_minutes > 0 && budget_s < one_measure) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "--budget-minutes %g is too small for one candidate: measuring the model alone took %.1f s",
                  opts.budget_minutes, one_measure);
    fail(buf);
  }
  PlanInputs in{!opts.calib.empty(), !opts.train.empty(), !opts.eval.labels.empty(), opts.gates.max_accuracy_drop};
  r.candidates = plan_candidates(model, in);
  ResultCache cache(opts.out_dir / "cache.json");
  if (!cache.note().empty()) r.notes.push_back(cache.note());
  int done = 0;
  for (auto& c : r.candidates) {
    c.cache_key = cache_key(r.model_sha256, c.pipeline, opts);
    const Candidate* req = c.requires_id ? &r.candidates[static_cast<size_t>(c.requires_id - 1)] : nullptr;
    if (req && (!req->metrics || accuracy_drop(*req->metrics, r.original) > opts.gates.max_accuracy_drop)) {
      c.status = "skipped";
      c.why = "#" + std::to_string(req->id) + " (" + req->pipeline.substr(req->pipeline.rfind(',') + 1) +
              (req->metrics ? ") already fails the accuracy gate" : ") was not measured");
    } else if (cache.lookup(c.cache_key, c)) {
      c.status = "cached";
    } else if (opts.budget_minutes > 0 && since(t_start) > budget_s && done > 0) {
      c.status = "not-run";
      c.why = "budget spent";
    } else if (opts.max_candidates > 0 && r.measured_now >= opts.max_candidates) {
      c.status = "not-run";
      c.why = "budget spent (--max-candidates " + std::to_string(opts.max_candidates) + ")";
    } else {
      const auto t0 = Clock::now();
      log->info("candidate {}/{}: {}", c.id, r.candidates.size(), c.pipeline);
      try {
        run.run(c);
        c.status = "measured";
        ++r.measured_now;
        cache.store(c.cache_key, c);
        cache.save();
      } catch (const Error& e) {
        c.status = "failed";
        c.why = e.what();
        c.metrics.reset();
        log->warn("candidate {}: failed: {}", c.id, e.what());
      }
      c.seconds = since(t0);
    }
    ++done;
    if (c.metrics) {
      c.gate_failures = gate_failures(*c.metrics, r.original, opts.gates);
      c.meets_gates = c.gate_failures.empty();
    }
    if (opts.progress)
      opts.progress(done, static_cast<int>(r.candidates.size()), best_line(r.candidates, opts.objective));
  }
  judge_candidates(r, opts.gates, opts.objective);
  r.seconds = since(t_start);
  write_outputs(r, opts, [&](const Candidate& c) {
    const fs::path p = run.work_path(c.cache_key);
    if (!fs::exists(p)) run.build(c, p);  // cached result whose model was removed: build it again
    return p;
  });
  return r;
}

}  // namespace edge::search
