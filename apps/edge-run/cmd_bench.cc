// edge-run bench: load time, latency percentiles over N runs after W warm-up runs,
// peak RSS, and with --profile the time per op type and per node.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "../common/app_util.h"
#include "commands.h"

namespace edge::app {

namespace {
struct BenchOptions {
  std::string model;
  int warmup = 10;
  int runs = 100;
  int threads = 1;
  std::string format = "text";
  bool profile = false;
  std::vector<std::string> inputs, shapes, backends;
  bool no_fuse = false;
  uint64_t seed = 0;
};

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  double pos = p / 100.0 * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

int bench(const BenchOptions& o) {
  using clock = std::chrono::steady_clock;
  double rss_before = peak_rss_mb();
  auto t0 = clock::now();
  rt::SessionOptions so;
  so.threads = o.threads;
  so.profile = o.profile;
  so.input_shapes = parse_shape_specs(o.shapes);
  so.backends = o.backends;
  so.fuse = !o.no_fuse;
  auto session = rt::Session::create(load_model(o.model), so);
  double load_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  // Inputs --input does not name get random values.
  rt::NamedTensors feeds = read_input_specs(o.inputs, *session, true, o.seed);
  rt::NamedTensors outs;  // reused: steady-state runs allocate nothing
  for (int i = 0; i < o.warmup; ++i) session->run_into(feeds, outs);
  session->reset_profile();
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(o.runs));
  for (int i = 0; i < o.runs; ++i) {
    auto s = clock::now();
    session->run_into(feeds, outs);
    lat.push_back(std::chrono::duration<double, std::milli>(clock::now() - s).count());
  }
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double v : lat) mean += v;
  mean /= static_cast<double>(std::max<size_t>(1, lat.size()));
  double var = 0;
  for (double v : lat) var += (v - mean) * (v - mean);
  double stddev = lat.size() > 1 ? std::sqrt(var / static_cast<double>(lat.size() - 1)) : 0.0;
  double rss = peak_rss_mb();

  nlohmann::ordered_json j;
  j["model"] = o.model;
  j["threads"] = o.threads;
  j["warmup"] = o.warmup;
  j["runs"] = o.runs;
  j["load_ms"] = load_ms;
  j["latency_ms"] = {{"min", sorted.empty() ? 0 : sorted.front()}, {"median", percentile(sorted, 50)},
                     {"p90", percentile(sorted, 90)},  {"p99", percentile(sorted, 99)},
                     {"max", sorted.empty() ? 0 : sorted.back()}, {"mean", mean}, {"stddev", stddev}};
  j["throughput_per_s"] = mean > 0 ? 1000.0 / mean : 0.0;
  j["peak_rss_mb"] = rss;
  j["rss_before_load_mb"] = rss_before;
  std::vector<rt::NodeProfile> nodes;
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> by_type;
  double total_prof = 0;
  if (o.profile) {
    nodes = session->profile();
    std::map<std::string, std::pair<double, int64_t>> agg;
    for (const auto& n : nodes) {
      if (n.depth > 0) continue;  // If/Loop bodies are inside their node's time already
      agg[n.op].first += n.total_ms;
      agg[n.op].second += 1;
      total_prof += n.total_ms;
    }
    by_type.assign(agg.begin(), agg.end());
    std::sort(by_type.begin(), by_type.end(), [](auto& a, auto& b) { return a.second.first > b.second.first; });
    std::stable_sort(nodes.begin(), nodes.end(), [](auto& a, auto& b) { return a.total_ms > b.total_ms; });
    auto& pj = j["profile"];
    pj["by_op_type"] = nlohmann::json::array();
    for (const auto& [op, v] : by_type) {
      pj["by_op_type"].push_back({{"op", op}, {"nodes", v.second}, {"ms_per_run", v.first / std::max(1, o.runs)},
                                  {"percent", total_prof > 0 ? 100.0 * v.first / total_prof : 0.0}});
    }
    pj["by_node"] = nlohmann::json::array();
    for (const auto& n : nodes) {
      pj["by_node"].push_back({{"name", n.name}, {"op", n.op}, {"kernel", n.kernel}, {"depth", n.depth},
                               {"ms_per_run", n.total_ms / std::max(1, o.runs)},
                               {"percent", total_prof > 0 ? 100.0 * n.total_ms / total_prof : 0.0}});
    }
  }
  if (o.format == "json") {
    std::printf("%s\n", json_text(j).c_str());
    return 0;
  }
  std::printf("edge-run bench: %s\n", o.model.c_str());
  std::printf("  threads %d, warm-up %d, runs %d\n", o.threads, o.warmup, o.runs);
  std::printf("  load      %10.3f ms\n", load_ms);
  std::printf("  latency   min %.3f  median %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f  stddev %.3f ms\n",
              sorted.empty() ? 0 : sorted.front(), percentile(sorted, 50), percentile(sorted, 90),
              percentile(sorted, 99), sorted.empty() ? 0 : sorted.back(), mean, stddev);
  std::printf("  throughput %.1f inferences/s\n", mean > 0 ? 1000.0 / mean : 0.0);
  std::printf("  peak RSS  %.1f MB\n", rss);
  if (o.profile) {
    std::printf("\n  %-22s %6s %12s %8s\n", "op type", "nodes", "ms/run", "%");
    for (const auto& [op, v] : by_type) {
      std::printf("  %-22s %6lld %12.4f %7.1f%%\n", op.c_str(), static_cast<long long>(v.second),
                  v.first / std::max(1, o.runs), total_prof > 0 ? 100.0 * v.first / total_prof : 0.0);
    }
    std::printf("\n  %-32s %-18s %-32s %12s %8s\n", "node", "op", "kernel", "ms/run", "%");
    for (const auto& n : nodes) {
      const std::string name = std::string(static_cast<size_t>(2 * n.depth), ' ') + n.name;
      std::printf("  %-32s %-18s %-32s %12.4f %7.1f%%\n", name.c_str(), n.op.c_str(), n.kernel.c_str(),
                  n.total_ms / std::max(1, o.runs), total_prof > 0 ? 100.0 * n.total_ms / total_prof : 0.0);
    }
  }
  return 0;
}
}  // namespace

void add_bench_command(CLI::App& root, Action& action) {
  auto o = std::make_shared<BenchOptions>();
  auto* c = root.add_subcommand("bench", "Benchmark latency (percentiles), load time and memory; --profile per op");
  c->add_option("model", o->model, "ONNX model file")->required();
  c->add_option("--warmup", o->warmup, "Warm-up runs (default 10)")->check(CLI::Range(0, 1000000));
  c->add_option("--runs", o->runs, "Timed runs (default 100)")->check(CLI::Range(1, 10000000));
  c->add_option("--threads", o->threads, "Intra-op threads (default 1)")->check(CLI::Range(1, 256));
  c->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  c->add_flag("--profile", o->profile, "Per-op-type and per-node time tables");
  c->add_option("--input,-i", o->inputs,
                "Input as NAME=FILE (.pb/.npy), NAME=value:V or NAME=fill:V; inputs not named get random values");
  c->add_option("--shape", o->shapes, "Fix a dynamic input shape: NAME:1x3x224x224");
  c->add_option("--seed", o->seed, "Seed for random inputs");
  c->add_option("--backend", o->backends,
                "Kernel backend to use (repeatable: cpu, reference); default all, reference always as fallback");
  c->add_flag("--no-fuse", o->no_fuse,
              "Run every node as written (no QDQ-to-integer or Conv+BatchNorm/activation fusion)");
  c->callback([o, &action] { action = [o] { return bench(*o); }; });
}

}  // namespace edge::app
