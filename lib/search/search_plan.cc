// Scale-out without a scheduler of our own: --plan-only writes every candidate's recipe and a
// Makefile whose targets run `compressor compress --recipe` (make -j N, or one CI job per
// target); --collect reads the reports those runs wrote and builds the front.
#include <fstream>
#include <sstream>

#include "ir/atomic_file.h"
#include "ir/sha256.h"
#include "ir/zstd_container.h"
#include "search/candidates.h"
#include "search/measure.h"
#include "search/pareto.h"
#include "search/search.h"
#include "search/search_io.h"

namespace edge::search {
namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

std::string two_digits(int id) { return candidate_file(id, SearchOptions{}).substr(0, 2); }

}  // namespace

std::vector<Candidate> plan_only(const SearchOptions& opts, const std::string& compressor_path) {
  if (opts.eval.empty()) fail("search needs a measure: give --eval-data (and --eval-labels for top-1)");
  Model model = load_model(opts.model_path);
  PlanInputs in{!opts.calib.empty(), !opts.train.empty(), !opts.eval.labels.empty(), opts.gates.max_accuracy_drop};
  auto plan = plan_candidates(model, in);
  const fs::path dir = opts.out_dir / "candidates";
  fs::create_directories(dir);
  std::ostringstream mk;
  mk << "# Written by `compressor search --plan-only`: one target per candidate.\n"
     << "#   make -C " << opts.out_dir.string() << " -j4          # build and measure every candidate\n"
     << "#   compressor search --collect " << opts.out_dir.string() << " ...   # then build the front\n"
     << "# Exit 1 of compress (a gate failed) still leaves its model and report: the target succeeds.\n"
     << "COMPRESSOR ?= " << shell_quote(fs::absolute(compressor_path).string()) << "\n"
     << "MODEL := " << shell_quote(fs::absolute(opts.model_path).string()) << "\n"
     << "THREADS := " << opts.threads << "\n\nall:";
  for (const auto& c : plan) mk << " candidates/" << two_digits(c.id) << ".json";
  mk << "\n\ncandidates/%.json: candidates/%.yaml\n"
     << "\t$(COMPRESSOR) compress $(MODEL) --recipe $< -o candidates/$*" << (is_zstd_path(opts.output) ? ".onnx.zst" : ".onnx")
     << " --report $@ --latency --threads $(THREADS) -q || [ $$? -eq 1 ]\n\n.PHONY: all\n";
  for (const auto& c : plan) write_file_atomic(dir / (two_digits(c.id) + ".yaml"), recipe_yaml(c, opts));
  write_file_atomic(opts.out_dir / "Makefile", mk.str());
  return plan;
}

SearchResult collect(const SearchOptions& opts) {
  const fs::path dir = opts.out_dir / "candidates";
  SearchResult r;
  r.model_sha256 = sha256_file(opts.model_path);
  Model model = load_model(opts.model_path);
  PlanInputs in{!opts.calib.empty(), !opts.train.empty(), !opts.eval.labels.empty(), opts.gates.max_accuracy_drop};
  r.candidates = plan_candidates(model, in);
  bool have_original = false;
  for (auto& c : r.candidates) {
    const fs::path report = dir / (two_digits(c.id) + ".json");
    const fs::path file = dir / candidate_file(c.id, opts);
    std::error_code ec;
    if (!fs::exists(report, ec) || !fs::exists(file, ec)) {
      c.status = "not-run";
      c.why = report.string() + " not found";
      continue;
    }
    std::string pipeline;
    Metrics original;
    auto m = metrics_from_report(report, &pipeline, &original);
    if (!m) {
      c.status = "failed";
      c.why = report.string() + ": no result metrics";
      continue;
    }
    if (pipeline != c.pipeline) {
      c.status = "failed";
      c.why = report.string() + ": pipeline '" + pipeline + "' is not this candidate's (planned for another model?)";
      continue;
    }
    if (!have_original) {
      r.original = original;
      r.original.size_bytes = fs::file_size(opts.model_path);
      r.original.agreement = 1;
      have_original = true;
    }
    m->size_bytes = fs::file_size(file);
    // Peak memory is not in a compress report: one run of the candidate gives the arena.
    rt::SessionOptions so;
    so.threads = opts.threads;
    so.input_shapes = opts.input_shapes;
    Model cm = load_model(file);
    auto s = rt::Session::create(cm, so);
    s->run(rt::random_feeds(*s, opts.seed));
    m->peak_memory_bytes = static_cast<uint64_t>(s->arena_bytes()) + initializer_bytes(cm);
    c.metrics = m;
    c.status = "collected";
  }
  if (!have_original) fail(dir.string() + ": no candidate reports found (run the Makefile of --plan-only first)");
  r.notes.push_back("collected from compress reports: latency is their median, p99 is not in them (0)");
  judge_candidates(r, opts.gates, opts.objective);
  const int chosen = r.best_id ? r.best_id : r.closest_id;
  if (chosen && !opts.output.empty()) {
    std::ifstream f(dir / candidate_file(chosen, opts), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    write_file_atomic(opts.output, bytes);
  }
  write_file_atomic(opts.out_dir / "pareto.json", pareto_json(r, opts));
  write_file_atomic(opts.out_dir / "report.html", report_html(r, opts));
  return r;
}

}  // namespace edge::search
