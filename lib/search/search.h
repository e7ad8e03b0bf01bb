// `compressor search`: measures pipelines of the existing stages (cleanup, prune, quantize,
// distill when it exists) on this machine and keeps the Pareto front of size, latency and
// accuracy. Each candidate is built by pass::compress (the code path of `compressor compress`)
// and measured with rt::Session: stored size, median/p99 latency, a peak-memory proxy, top-1
// and agreement with the original on the evaluation data. Per layer, a quantized or pruned
// layer that runs slower than the float/dense one is reverted (layer rule `exclude`) and the
// candidate measured again, unless the objective is size. Results are cached in the output
// directory, keyed by (model sha256, pipeline, reverted layers, data hashes, settings).
// docs/search.md describes the candidates, the measurements and the outputs.
#pragma once

#include <spdlog/logger.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pass/context.h"
#include "runtime/session.h"

namespace edge::search {

enum class Objective { kSize, kLatency, kAccuracy };
Objective parse_objective(const std::string& text);  // "size" | "latency" | "accuracy"
const char* objective_name(Objective o);

struct SearchGates {
  double max_accuracy_drop = 0.01;  // absolute top-1 (or 1 - agreement without labels)
  std::optional<double> max_latency_ms;
  std::optional<uint64_t> max_size;
  std::optional<uint64_t> max_peak_memory;
};

struct SearchOptions {
  std::filesystem::path model_path;
  std::filesystem::path out_dir;   // pareto.json, report.html, candidates/, cache.json, work/
  std::filesystem::path output;    // best model; a name ending in .zst measures every candidate as .onnx.zst
  pass::DataSpec calib, eval, train;
  SearchGates gates;
  Objective objective = Objective::kSize;
  double budget_minutes = 0;       // 0: no limit; else no candidate starts after it
  int max_candidates = 0;          // 0: no limit; else at most this many new measurements per run
  int threads = 1;
  uint64_t seed = 0;
  int warmup_runs = 5;             // latency: runs not timed
  int timed_runs = 50;             // latency: timed runs (median, p99)
  std::map<std::string, Shape> input_shapes;
  std::string tool_version;
  std::shared_ptr<spdlog::logger> logger;  // default: a null logger
  // Called after every candidate: (done, total, one line on the best so far).
  std::function<void(int done, int total, const std::string& best)> progress;
};

// What was measured for one model.
struct Metrics {
  uint64_t size_bytes = 0;         // the file as written (sparse initializers / .zst when chosen)
  double latency_ms = 0;           // median of timed runs
  double p99_ms = 0;
  uint64_t peak_memory_bytes = 0;  // arena of intermediates + initializer bytes (docs/search.md)
  std::optional<double> top1;      // with labels
  double agreement = 1;            // top-1 agreement with the original
};

// A layer whose quantized/sparse form measured slower than the float/dense one.
struct LayerRevert {
  std::string layer, op;
  double candidate_ms = 0, float_ms = 0;  // per run, from the runtime's per-node profile
};

struct Candidate {
  int id = 0;                      // plan order, 1-based: candidates/NN.onnx
  std::string pipeline;            // canonical pipeline string
  std::string family;              // "float", "fp16", "int8-static", "prune-global", ...
  int requires_id = 0;             // measured only when this candidate met the accuracy gate (0: none)
  double cost = 1;                 // relative build cost (cheap first)
  std::vector<std::string> excluded;  // layers reverted to float/dense (layer rules)
  std::vector<LayerRevert> reverts;
  // Layers slower than float/dense whose revert made the whole model slower (kept as built), and
  // the whole model's latency with them reverted.
  std::vector<LayerRevert> kept_slower;
  double reverted_latency_ms = 0;
  std::string status;              // "measured" | "cached" | "skipped" | "failed" | "not-run"
  std::string why;                 // for skipped / failed / not-run
  std::optional<Metrics> metrics;
  double seconds = 0;              // build + measure time (0 when cached)
  bool meets_gates = false;
  std::vector<std::string> gate_failures;
  bool on_front = false;
  std::string cache_key;
};

struct SearchResult {
  Metrics original;
  std::string model_sha256;
  std::vector<Candidate> candidates;
  int best_id = 0;                 // the best that meets every gate (0: none)
  int closest_id = 0;              // when none does: the one closest to the gates
  int measured_now = 0;            // candidates built and measured in this run (not cached)
  double seconds = 0;
  std::vector<std::string> notes;
};

// Plans, builds, measures, caches, and writes D/pareto.json, D/report.html, D/candidates/NN.*
// and the best (or closest) model to `output`. Throws edge::Error (kInvalidInput) for bad
// input: no evaluation data, unreadable model, a budget too small for one candidate.
SearchResult run_search(const SearchOptions& opts);

// --plan-only: writes D/candidates/NN.yaml for every planned candidate and D/Makefile that
// builds them with `compressor compress --recipe`; returns the plan.
std::vector<Candidate> plan_only(const SearchOptions& opts, const std::string& compressor_path);
// --collect D: reads D/candidates/NN.json (reports of those compress runs), measures peak
// memory of NN.onnx and writes D/pareto.json and D/report.html like a search.
SearchResult collect(const SearchOptions& opts);

}  // namespace edge::search
