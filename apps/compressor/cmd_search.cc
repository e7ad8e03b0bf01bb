// compressor search: the Pareto front of prune/quantize pipelines measured on this machine
// (lib/search, docs/search.md). Exit 0 with the best model when a candidate meets every gate,
// 1 when none does (the closest is written and named), 2 for bad input.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "../common/app_util.h"
#include "commands.h"
#include "pass/recipe.h"
#include "search/pareto.h"
#include "search/search.h"
#include "stage_data_flags.h"

namespace edge::app {
namespace fs = std::filesystem;

namespace {
struct SearchFlags {
  std::string input, output, out_dir, collect;
  StageDataFlags data;  // --calib-data, --eval-data, ..., --scale, ... (shared with compress)
  double max_accuracy_drop = 0.01;
  std::optional<double> max_latency_ms;
  std::string max_size, max_peak_memory, objective = "size";
  double budget_minutes = 0;
  int max_candidates = 0;
  int threads = 1, warmup = 5, runs = 50;
  uint64_t seed = 0;
  bool plan_only = false, quiet = false;
  std::vector<std::string> shapes;
  std::string self;  // argv[0]-like path of this compressor, for the plan's Makefile
};

void print_summary(const search::SearchResult& r, const search::SearchOptions& o) {
  int measured = 0, cached = 0, skipped = 0, failed = 0, not_run = 0;
  for (const auto& c : r.candidates) {
    measured += c.status == "measured" || c.status == "collected";
    cached += c.status == "cached";
    skipped += c.status == "skipped";
    failed += c.status == "failed";
    not_run += c.status == "not-run";
  }
  std::printf("original: %s, %.3f ms, accuracy %.4f\n", format_bytes(r.original.size_bytes).c_str(), r.original.latency_ms,
              search::accuracy_score(r.original));
  std::printf("%zu candidates: %d measured, %d cached, %d skipped, %d failed, %d not run (budget)\n", r.candidates.size(),
              measured, cached, skipped, failed, not_run);
  std::printf("front (size, latency, accuracy):\n");
  for (const auto& c : r.candidates) {
    if (!c.on_front) continue;
    const auto& m = *c.metrics;
    std::printf("  #%02d %-10s %8.3f ms  acc %.4f  %s%s  %s\n", c.id, format_bytes(m.size_bytes).c_str(), m.latency_ms,
                search::accuracy_score(m), c.meets_gates ? "gates ok" : "gate failed",
                c.reverts.empty() ? "" : (", " + std::to_string(c.reverts.size()) + " layer(s) reverted").c_str(),
                c.pipeline.c_str());
  }
  for (const auto& c : r.candidates) {
    for (const auto& rv : c.reverts) {
      std::printf("reverted #%02d %s (%s): %.4f ms vs %.4f ms float/dense\n", c.id, rv.layer.c_str(), rv.op.c_str(),
                  rv.candidate_ms, rv.float_ms);
    }
    if (!c.kept_slower.empty()) {
      std::printf("kept #%02d as built: with its %zu slower layer(s) reverted the model took %.4f ms, not less than %.4f ms\n",
                  c.id, c.kept_slower.size(), c.reverted_latency_ms, c.metrics->latency_ms);
    }
    for (const auto& rv : c.kept_slower) {
      std::printf("  slower #%02d %s (%s): %.4f ms vs %.4f ms float/dense\n", c.id, rv.layer.c_str(), rv.op.c_str(),
                  rv.candidate_ms, rv.float_ms);
    }
  }
  const int chosen = r.best_id ? r.best_id : r.closest_id;
  for (const auto& c : r.candidates) {
    if (c.id != chosen) continue;
    std::printf("%s #%02d: %s\n", r.best_id ? "best" : "closest (no candidate meets every gate)", c.id, c.pipeline.c_str());
    std::printf("  %s (%.3fx the original), %.3f ms, accuracy %.4f (drop %.4f), peak memory %s\n",
                format_bytes(c.metrics->size_bytes).c_str(),
                static_cast<double>(c.metrics->size_bytes) / static_cast<double>(std::max<uint64_t>(1, r.original.size_bytes)),
                c.metrics->latency_ms, search::accuracy_score(*c.metrics), search::accuracy_drop(*c.metrics, r.original),
                format_bytes(c.metrics->peak_memory_bytes).c_str());
    for (const auto& g : c.gate_failures) std::printf("  gate failed: %s\n", g.c_str());
  }
  if (!o.output.empty() && chosen) std::printf("wrote %s\n", o.output.string().c_str());
  std::printf("wrote %s, %s\n", (o.out_dir / "pareto.json").string().c_str(), (o.out_dir / "report.html").string().c_str());
}

int run_search_command(const SearchFlags& f) {
  search::SearchOptions o;
  const bool collecting = !f.collect.empty();
  if (collecting && !f.out_dir.empty() && fs::path(f.collect) != fs::path(f.out_dir)) fail("--collect D is the output directory: drop --out-dir");
  o.out_dir = collecting ? f.collect : f.out_dir;
  if (o.out_dir.empty()) fail("missing --out-dir DIR");
  if (f.output.empty() && !f.plan_only) fail("missing -o/--output (the best model)");
  o.model_path = f.input;
  o.output = f.output;
  apply_stage_data_flags(f.data, o.calib, o.eval, o.train);
  o.gates.max_accuracy_drop = f.max_accuracy_drop;
  o.gates.max_latency_ms = f.max_latency_ms;
  if (!f.max_size.empty()) o.gates.max_size = pass::parse_size(f.max_size, "--max-size");
  if (!f.max_peak_memory.empty()) o.gates.max_peak_memory = pass::parse_size(f.max_peak_memory, "--max-peak-memory");
  o.objective = search::parse_objective(f.objective);
  o.budget_minutes = f.budget_minutes;
  o.max_candidates = f.max_candidates;
  o.threads = f.threads;
  o.seed = f.seed;
  o.warmup_runs = f.warmup;
  o.timed_runs = f.runs;
  for (const auto& [name, shape] : parse_shape_specs(f.shapes)) o.input_shapes[name] = shape;
  o.tool_version = EDGE_VERSION;
  std::error_code ec;
  if (!o.output.empty() && fs::exists(o.output, ec) && fs::equivalent(o.output, o.model_path, ec)) {
    fail(f.output + ": output path is the input model");
  }
  if (f.plan_only) {
    auto plan = search::plan_only(o, f.self);
    if (!f.quiet) {
      for (const auto& c : plan) std::printf("  %02d %s\n", c.id, c.pipeline.c_str());
      std::printf("wrote %zu recipes to %s and %s: run `make -C %s -j N`, then `compressor search --collect %s ...`\n",
                  plan.size(), (o.out_dir / "candidates").string().c_str(), (o.out_dir / "Makefile").string().c_str(),
                  o.out_dir.string().c_str(), o.out_dir.string().c_str());
    }
    return 0;
  }
  auto logger = spdlog::stderr_color_mt("search");
  logger->set_pattern("compressor: %v");
  logger->set_level(f.quiet ? spdlog::level::warn : spdlog::level::info);
  o.logger = logger;
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (!f.quiet) {
    o.progress = [tty](int done, int total, const std::string& best) {
      if (tty) {
        std::fprintf(stderr, "\r  search [%d/%d] %-70.70s", done, total, best.c_str());
        if (done == total) std::fprintf(stderr, "\n");
      } else {
        std::fprintf(stderr, "compressor: search %d/%d done; %s\n", done, total, best.c_str());
      }
    };
  }
  search::SearchResult r = collecting ? search::collect(o) : search::run_search(o);
  if (!f.quiet) print_summary(r, o);
  if (!r.best_id) {
    std::fprintf(stderr, "compressor: no candidate meets every gate; the closest (#%02d) was written to %s\n", r.closest_id,
                 o.output.string().c_str());
    return 1;
  }
  return 0;
}
}  // namespace

void add_search_command(CLI::App& root, Action& action) {
  auto f = std::make_shared<SearchFlags>();
  auto* c = root.add_subcommand(
      "search", "Search prune/quantize pipelines for the Pareto front of size, latency and accuracy measured here");
  c->add_option("model", f->input, "Input ONNX model")->required();
  c->add_option("-o,--output", f->output,
                "Best model (the best candidate meeting every gate, else the closest); a name ending in .zst measures "
                "every candidate as the .onnx.zst container");
  c->add_option("--out-dir", f->out_dir, "Directory for pareto.json, report.html, candidates/NN.onnx + NN.yaml and the cache");
  StageDataHelp data_help;
  data_help.calib_data = "Calibration data (int8 static candidates need it)";
  data_help.eval_data = "Evaluation data (required: every candidate is measured on it)";
  data_help.eval_labels = "Labels of the evaluation data (top-1; without: agreement with the original)";
  data_help.train_data = "Training data (distillation candidates, when the distill stage exists)";
  data_help.train_labels = "Labels of the training data";
  data_help.resize_and_batch = false;
  add_stage_data_flags(c, f->data, data_help);
  c->add_option("--max-accuracy-drop", f->max_accuracy_drop, "Gate: absolute top-1 drop allowed, 0..1 (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--max-latency-ms", f->max_latency_ms, "Gate: median latency on this machine");
  c->add_option("--max-size", f->max_size, "Gate: model file size, e.g. 500KB");
  c->add_option("--max-peak-memory", f->max_peak_memory, "Gate: arena + weights, e.g. 2MB (docs/search.md)");
  c->add_option("--objective", f->objective, "What the best minimizes among those meeting the gates: size, latency, accuracy")
      ->check(CLI::IsMember({"size", "latency", "accuracy"}));
  c->add_option("--max-candidates", f->max_candidates,
                 "Measure at most this many new candidates in this run (0: no limit; a rerun goes on from the cache)")
      ->check(CLI::Range(0, 100000));
  c->add_option("--budget-minutes", f->budget_minutes, "Start no candidate after this many minutes (0: no limit)")
      ->check(CLI::Range(0.0, 1e6));
  c->add_option("--threads", f->threads, "Intra-op threads for every measurement")->check(CLI::Range(1, 256));
  c->add_option("--warmup", f->warmup, "Latency: untimed runs first (default 5)")->check(CLI::Range(0, 100000));
  c->add_option("--runs", f->runs, "Latency: timed runs (median, p99; default 50)")->check(CLI::Range(1, 1000000));
  c->add_option("--seed", f->seed, "Seed for every random choice (default 0)");
  c->add_option("--shape", f->shapes, "Fix a dynamic input shape: NAME:1x3x224x224 (repeatable)");
  c->add_flag("--plan-only", f->plan_only, "Write candidates/NN.yaml and a Makefile running `compressor compress --recipe`");
  c->add_option("--collect", f->collect, "Build the front from the reports the --plan-only Makefile wrote in D");
  c->add_flag("-q,--quiet", f->quiet, "Only warnings and errors");
  c->footer(
      "Examples:\n"
      "  compressor search m.onnx -o best.onnx --out-dir D --calib-data c.npy --eval-data x.npy --eval-labels y.npy \\\n"
      "      --scale 1/255 --max-accuracy-drop 0.01 --objective latency --budget-minutes 10\n"
      "  compressor search m.onnx -o best.onnx.zst --out-dir D ... --objective size   (sizes of the zstd container)\n"
      "  compressor search m.onnx --out-dir D --plan-only ...; make -C D -j4; compressor search m.onnx -o best.onnx "
      "--collect D ...\n"
      "A rerun with the same D skips every candidate already measured (D/cache.json).\n"
      "Exit codes: 0 best written, 1 no candidate meets every gate (closest written), 2 bad input, 3 internal error.");
  c->callback([f, &action] {
    f->self = "/proc/self/exe";
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) f->self = exe.string();
    action = [f] { return run_search_command(*f); };
  });
}

}  // namespace edge::app
