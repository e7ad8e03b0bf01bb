// compressor compress: run a pipeline of stages on a model, write the result, the
// report(s), and exit 0 (gates hold), 1 (a gate failed; outputs still written), 2, 3.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "../common/app_util.h"
#include "commands.h"
#include "pass/compress.h"
#include "stage_data_flags.h"

namespace edge::app {
namespace fs = std::filesystem;

namespace {
struct CompressFlags {
  std::string input, output, passes, recipe;
  StageDataFlags data;  // --calib-data, --eval-data, ..., --scale, ... (shared with search)
  std::vector<std::string> reports;
  std::optional<uint64_t> seed;
  std::optional<double> max_accuracy_drop, min_agreement, max_latency_ms;
  std::string max_size;
  std::optional<int64_t> max_params;
  bool dry_run = false, in_place = false, quiet = false, verbose = false, measure_latency = false;
  bool dense_weights = false;
  int threads = 1;
  std::vector<std::string> shapes;
};

int compress(const CompressFlags& f) {
  if (!f.passes.empty() && !f.recipe.empty()) fail("give either --passes or --recipe, not both");
  if (f.passes.empty() && f.recipe.empty()) fail("nothing to do: give --passes \"...\" or --recipe FILE");
  if (f.output.empty() && !f.dry_run) fail("missing -o/--output");
  if (!f.output.empty() && same_file(f.input, f.output) && !f.in_place) {
    fail(f.output + ": output path is the input model; pass --in-place to overwrite it");
  }
  for (const auto& rp : f.reports) {
    std::string ext = fs::path(rp).extension().string();
    if (ext != ".json" && ext != ".md" && ext != ".markdown" && ext != ".html" && ext != ".htm") {
      fail("--report " + rp + ": unknown report format (use .json, .md or .html)");
    }
    if (same_file(rp, f.input)) fail("--report " + rp + " would overwrite the input model");
  }
  pass::CompressOptions o;
  if (!f.recipe.empty()) {
    pass::Recipe r = pass::load_recipe(f.recipe);
    o.pipeline = std::move(r.pipeline);
    o.seed = r.seed.value_or(0);
    o.calib = r.calib;
    o.eval = r.eval;
    o.train = r.train;
    o.gates = r.gates;
    o.layers = std::move(r.layers);
    o.session.input_shapes = r.shapes;
  } else {
    o.pipeline = pass::parse_pipeline(f.passes);
  }
  // Command-line flags override the recipe.
  if (f.seed) o.seed = *f.seed;
  const CalibCacheTarget cache{o.calib_cache, f.input, f.dry_run ? "" : f.output};
  apply_stage_data_flags(f.data, o.calib, o.eval, o.train, &cache);
  if (f.max_accuracy_drop) o.gates.max_accuracy_drop = f.max_accuracy_drop;
  if (f.min_agreement) o.gates.min_agreement = f.min_agreement;
  if (f.max_latency_ms) o.gates.max_latency_ms = f.max_latency_ms;
  if (!f.max_size.empty()) o.gates.max_size = pass::parse_size(f.max_size, "--max-size");
  if (f.max_params) o.gates.max_params = f.max_params;
  o.session.threads = f.threads;
  for (const auto& [name, shape] : parse_shape_specs(f.shapes)) o.session.input_shapes[name] = shape;
  o.measure_latency = f.measure_latency;
  o.dry_run = f.dry_run;
  o.dense_weights = f.dense_weights;
  if (!f.dry_run) o.output = f.output;
  o.tool_version = EDGE_VERSION;
  auto logger = spdlog::stderr_color_mt("compressor");
  logger->set_pattern("compressor: %v");
  logger->set_level(f.quiet ? spdlog::level::warn : f.verbose ? spdlog::level::debug : spdlog::level::info);
  o.logger = logger;
  if (isatty(STDERR_FILENO) && !f.quiet) {
    o.progress = [](const std::string& what, int64_t done, int64_t total) {
      int width = 30;
      int filled = total > 0 ? static_cast<int>(width * done / total) : width;
      // Training progress carries its numbers in `what` ("distill 3/20 loss ... samples/s"): shown whole.
      const int what_width = what.size() > 24 ? static_cast<int>(what.size()) : 24;
      std::fprintf(stderr, "\r  %-*.*s [%.*s%*s] %lld/%lld\x1b[K", what_width, what_width, what.c_str(), filled,
                   "==============================", width - filled, "", static_cast<long long>(done),
                   static_cast<long long>(total));
      if (done >= total) std::fprintf(stderr, "\n");
    };
  }
  Model input = load_model(f.input);
  pass::CompressResult res = pass::compress(input, f.input, o);
  if (!f.dry_run) {
    pass::write_result(res, f.output, o);
    res.report.output_path = f.output;
  }
  for (const auto& rp : f.reports) report::write_report(res.report, rp);
  const auto& r = res.report;
  if (!f.quiet) {
    std::printf("%s: %s\n", f.dry_run ? "plan" : "pipeline", r.pipeline.c_str());
    for (const auto& s : r.stages) {
      std::printf("  %-28s %8.3f s  %10s -> %-10s  params %lld -> %lld\n", (s.name + (s.options.empty() ? "" : "<" + s.options + ">")).c_str(),
                  s.seconds, format_bytes(s.before.bytes).c_str(), format_bytes(s.after.bytes).c_str(),
                  static_cast<long long>(s.before.params), static_cast<long long>(s.after.params));
    }
    std::printf("size %s -> %s: %s", format_bytes(r.original.bytes).c_str(), format_bytes(r.result.bytes).c_str(),
                size_change(r.original.bytes, r.result.bytes).c_str());
    if (r.result.sparse_initializers > 0) {
      std::printf(" (%lld sparse initializers)", static_cast<long long>(r.result.sparse_initializers));
    }
    if (r.result.file_bytes) {
      std::printf("; .onnx.zst file %s: %s", format_bytes(*r.result.file_bytes).c_str(),
                  size_change(r.original.bytes, *r.result.file_bytes).c_str());
    }
    std::printf("\n");
    if (r.original.top1 && r.result.top1) std::printf("top-1 %.4f -> %.4f\n", *r.original.top1, *r.result.top1);
    if (r.result.agreement_top1) std::printf("agreement with original %.4f, cosine %.6f\n", *r.result.agreement_top1, r.result.cosine.value_or(0));
    if (r.original.latency_ms && r.result.latency_ms) {
      std::printf("latency %.3f ms \xC2\xB1 %.3f -> %.3f ms \xC2\xB1 %.3f (median of 5 repeats; %s)\n",
                  *r.original.latency_ms, r.original.latency_spread_ms.value_or(0), *r.result.latency_ms,
                  r.result.latency_spread_ms.value_or(0), report::latency_change(r.original, r.result).c_str());
    }
    for (const auto& g : r.gates) std::printf("gate %-18s %s: %s\n", g.name.c_str(), g.passed ? "PASS" : "FAIL", g.detail.c_str());
    if (!f.dry_run) std::printf("wrote %s\n", f.output.c_str());
    for (const auto& rp : f.reports) std::printf("wrote %s\n", rp.c_str());
  }
  if (!res.gates_passed) {
    for (const auto& g : r.gates) {
      if (!g.passed) std::fprintf(stderr, "compressor: gate failed: %s: %s\n", g.name.c_str(), g.detail.c_str());
    }
    return 1;
  }
  return 0;
}
}  // namespace

void add_compress_command(CLI::App& root, Action& action) {
  auto f = std::make_shared<CompressFlags>();
  auto* c = root.add_subcommand("compress", "Run a pipeline of stages (--passes or --recipe) and write the smaller model");
  c->add_option("model", f->input, "Input ONNX model")->required();
  c->add_option("-o,--output", f->output,
                "Output ONNX model (written atomically); a name ending in .zst writes the zstd-compressed container "
                "(model.onnx.zst) that edge-run and compressor load directly");
  c->add_option("--passes", f->passes, "Pipeline, e.g. \"fold-constants,fuse-bn,eliminate-dead\" (see `compressor passes`)");
  c->add_option("--recipe", f->recipe, "YAML recipe (docs/recipe-reference.md)");
  StageDataHelp data_help;
  data_help.calib_data = "Calibration data (same syntax as --data of `compressor eval`)";
  data_help.calib_cache =
      "Calibration range cache (JSON; default: OUTPUT.calib.json); a rerun with the same model, data and options "
      "skips calibration";
  data_help.eval_data = "Evaluation data (accuracy/agreement per stage, accuracy gates)";
  data_help.eval_labels = "Labels of the evaluation data (idx or .npy)";
  data_help.train_data =
      "Training data of the distill stage (unlabelled is fine; held in memory; docs/distillation.md)";
  data_help.train_labels = "Labels of the training data (distill adds cross-entropy)";
  add_stage_data_flags(c, f->data, data_help);
  c->add_option("--report", f->reports, "Report file; format from the extension: .json, .md, .html (repeatable)");
  c->add_option("--seed", f->seed, "Seed for every random choice (default 0, or the recipe's)");
  c->add_option("--max-accuracy-drop", f->max_accuracy_drop, "Gate: absolute top-1 drop allowed, 0..1 (needs --eval-labels)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--min-agreement", f->min_agreement, "Gate: minimum top-1 agreement with the original, 0..1 (needs --eval-data)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--max-size", f->max_size, "Gate: maximum model size, e.g. 500KB, 2MB");
  c->add_option("--max-latency-ms", f->max_latency_ms, "Gate: maximum median latency on this machine");
  c->add_option("--max-params", f->max_params, "Gate: maximum parameter count");
  c->add_flag("--latency", f->measure_latency, "Measure latency before and after (always on with --max-latency-ms)");
  c->add_flag("--dry-run", f->dry_run, "Validate the pipeline, data and gates; write nothing but the report");
  c->add_flag("--in-place", f->in_place, "Allow -o to be the input file");
  c->add_flag("--dense-weights", f->dense_weights,
              "Write every initializer dense (default: mostly-zero weights are written as ONNX sparse_initializers "
              "where that is clearly smaller; docs/storage.md)");
  c->add_option("--shape", f->shapes,
                "Fix a dynamic input shape for every run (checks, calibration, evaluation): NAME:1x3x224x224; "
                "repeatable; overrides the recipe's shapes");
  c->add_option("--threads", f->threads, "Intra-op threads for calibration/evaluation")->check(CLI::Range(1, 256));
  c->add_flag("-q,--quiet", f->quiet, "Only warnings and errors");
  c->add_flag("-v,--verbose", f->verbose, "Debug logging");
  c->footer(
      "Examples:\n"
      "  compressor compress m.onnx -o small.onnx --passes \"fold-constants,fuse-bn,eliminate-dead\"\n"
      "  compressor compress m.onnx -o small.onnx --recipe recipe.yaml --report r.html --report r.json\n"
      "  compressor compress m.onnx -o small.onnx --passes fuse-bn --eval-data x.npy --eval-labels y.npy \\\n"
      "      --scale 1/255 --max-accuracy-drop 0.01 --max-size 500KB\n"
      "  compressor compress m.onnx -o m.int8.onnx --passes \"fold-constants,fuse-bn,quantize-static\" \\\n"
      "      --calib-data calib.npy --scale 1/255        (ranges cached in m.int8.onnx.calib.json)\n"
      "  compressor compress m.onnx -o sparse.onnx --passes \"fold-constants,prune-magnitude<sparsity=0.8>\"\n"
      "      (scope=global|layer|sensitivity; prune-nm<n=2,m=4>; sensitivity<sparsities=0.5,0.7,0.9>)\n"
      "  compressor compress m.onnx -o m.onnx.zst --passes \"fold-constants,eliminate-dead\"   (zstd container)\n"
      "  compressor compress m.onnx -o d.onnx --passes \"prune-magnitude<sparsity=0.9>,distill\" --train-data x.npy\n"
      "      (fine-tunes the pruned model against m.onnx; zeros kept; distill<epochs=20,lr=0.01,loss=kl|mse>)\n"
      "Exit codes: 0 ok, 1 a gate failed (model and report still written), 2 bad input, 3 internal error.");
  c->callback([f, &action] { action = [f] { return compress(*f); }; });
}

}  // namespace edge::app
