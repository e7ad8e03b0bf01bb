#include "search/search_io.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ir/atomic_file.h"
#include "ir/sha256.h"
#include "ir/zstd_container.h"
#include "pass/pipeline.h"
#include "search/pareto.h"

namespace edge::search {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// Shortest text that reads back as `v` ("0.005", not "0.0050000000000000001").
std::string number(double v) {
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string float_list(const std::vector<float>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + number(v[i]);
  return out;
}

// ", scale: 0.5, mean: ..." for the preprocessing and limits of `d` that differ from defaults.
std::string options_yaml(const pass::DataSpec& d) {
  std::string s;
  const auto& pre = d.options.pre;
  if (pre.scale != 1.0) s += ", scale: " + number(pre.scale);
  if (!pre.mean.empty()) s += ", mean: " + quoted(float_list(pre.mean));
  if (!pre.std.empty()) s += ", std: " + quoted(float_list(pre.std));
  if (pre.layout == data::Layout::kNHWC) s += ", layout: nhwc";
  if (pre.resize_h > 0) s += ", resize: " + std::to_string(pre.resize_h) + "x" + std::to_string(pre.resize_w);
  if (d.options.channels > 0) s += ", channels: " + std::to_string(d.options.channels);
  if (d.limit > 0) s += ", limit: " + std::to_string(d.limit);
  if (d.batch > 1) s += ", batch: " + std::to_string(d.batch);
  return s;
}

std::string data_yaml(const pass::DataSpec& d) {
  std::string s = "{path: " + quoted(fs::absolute(d.path).lexically_normal().string());
  if (!d.labels.empty()) s += ", labels: " + quoted(fs::absolute(d.labels).lexically_normal().string());
  return s + options_yaml(d) + "}";
}

std::string data_key(const pass::DataSpec& d) {
  if (d.empty()) return "-";
  auto hash = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) ? sha256_file(p) : "dir:" + fs::absolute(p).string();
  };
  std::string s = hash(d.path) + "|" + (d.labels.empty() ? "-" : hash(d.labels));
  return s + "|" + options_yaml(d);
}

Json metrics_json(const Metrics& m) {
  Json j;
  j["size_bytes"] = m.size_bytes;
  j["latency_ms"] = m.latency_ms;
  j["p99_latency_ms"] = m.p99_ms;
  j["peak_memory_bytes"] = m.peak_memory_bytes;
  j["top1"] = m.top1 ? Json(*m.top1) : Json(nullptr);
  j["agreement"] = m.agreement;
  return j;
}

Metrics metrics_from(const Json& j) {
  Metrics m;
  m.size_bytes = j.at("size_bytes").get<uint64_t>();
  m.latency_ms = j.at("latency_ms").get<double>();
  m.p99_ms = j.value("p99_latency_ms", 0.0);
  m.peak_memory_bytes = j.value("peak_memory_bytes", uint64_t{0});
  if (j.contains("top1") && !j["top1"].is_null()) m.top1 = j["top1"].get<double>();
  m.agreement = j.value("agreement", 1.0);
  return m;
}

}  // namespace

std::string candidate_file(int id, const SearchOptions& opts) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", id);
  return std::string(buf) + (is_zstd_path(opts.output) ? ".onnx.zst" : ".onnx");
}

std::string recipe_yaml(const Candidate& c, const SearchOptions& opts) {
  std::ostringstream y;
  y << "# compressor search candidate " << c.id << " (" << c.family << "): " << c.pipeline << "\n";
  y << "version: 1\nseed: " << opts.seed << "\npipeline:\n";
  for (const auto& e : pass::parse_pipeline(c.pipeline)) {
    std::string opt;
    for (const auto& spec : e.info->options) {
      const std::string& v = e.options.values().at(spec.name);
      if (v == spec.default_value) continue;
      opt += (opt.empty() ? "" : ", ") + spec.name + ": " + quoted(v);
    }
    y << "  - " << e.info->name << (opt.empty() ? "" : ": {" + opt + "}") << "\n";
  }
  if (!opts.calib.empty() || !opts.eval.empty() || !opts.train.empty()) {
    y << "data:\n";
    if (!opts.calib.empty()) y << "  calib: " << data_yaml(opts.calib) << "\n";
    if (!opts.eval.empty()) y << "  eval: " << data_yaml(opts.eval) << "\n";
    if (!opts.train.empty()) y << "  train: " << data_yaml(opts.train) << "\n";
  }
  if (!opts.eval.labels.empty() || opts.gates.max_size) {
    y << "gates: {";
    std::string sep;
    if (!opts.eval.labels.empty()) {
      y << "max-accuracy-drop: " << number(opts.gates.max_accuracy_drop);
      sep = ", ";
    }
    if (opts.gates.max_size) y << sep << "max-size: " << *opts.gates.max_size;
    y << "}\n";
  }
  if (!opts.input_shapes.empty()) {
    y << "shapes: {";
    std::string sep;
    for (const auto& [name, shape] : opts.input_shapes) {
      std::string dims;
      for (size_t i = 0; i < shape.size(); ++i) dims += (i ? "x" : "") + std::to_string(shape[i]);
      y << sep << quoted(name) << ": " << dims;
      sep = ", ";
    }
    y << "}\n";
  }
  if (!c.excluded.empty()) {
    y << "layers:   # reverted by the search: measured slower than the float/dense layer\n";
    for (const auto& l : c.excluded) y << "  - {match: " << quoted(l) << ", exclude: true}\n";
  }
  return y.str();
}

std::string cache_key(const std::string& model_sha256, const std::string& pipeline, const SearchOptions& opts) {
  std::ostringstream k;
  k << "edge.search/1\n" << model_sha256 << "\n" << pipeline << "\n";
  k << "revert:" << (opts.objective == Objective::kSize ? "off" : "on") << "\n";
  k << "calib:" << data_key(opts.calib) << "\neval:" << data_key(opts.eval) << "\ntrain:" << data_key(opts.train) << "\n";
  k << "seed:" << opts.seed << " threads:" << opts.threads << " runs:" << opts.warmup_runs << "/" << opts.timed_runs;
  k << " zst:" << is_zstd_path(opts.output) << "\n";
  for (const auto& [name, shape] : opts.input_shapes) {
    k << "shape:" << name;
    for (auto d : shape) k << "," << d;
    k << "\n";
  }
  return sha256_hex(k.str());
}

ResultCache::ResultCache(fs::path path) : path_(std::move(path)) {
  std::error_code ec;
  if (!fs::exists(path_, ec)) return;
  std::ifstream in(path_);
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("entries") || !j["entries"].is_object()) {
    note_ = path_.string() + ": unreadable cache ignored (every candidate is measured again)";
    return;
  }
  for (const auto& [k, v] : j["entries"].items()) entries_[k] = v.dump();
}

namespace {

Json reverts_json(const std::vector<LayerRevert>& v) {
  Json a = Json::array();
  for (const auto& r : v) {
    a.push_back({{"layer", r.layer}, {"op", r.op}, {"candidate_ms", r.candidate_ms}, {"float_ms", r.float_ms}});
  }
  return a;
}

std::vector<LayerRevert> reverts_from(const Json& a) {
  std::vector<LayerRevert> v;
  for (const auto& r : a) {
    v.push_back({r.at("layer").get<std::string>(), r.at("op").get<std::string>(), r.at("candidate_ms").get<double>(),
                 r.at("float_ms").get<double>()});
  }
  return v;
}

}  // namespace

bool ResultCache::lookup(const std::string& key, Candidate& c) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  try {
    Json j = Json::parse(it->second);
    c.metrics = metrics_from(j.at("metrics"));
    c.excluded = j.value("excluded", std::vector<std::string>{});
    c.reverts = reverts_from(j.value("reverts", Json::array()));
    c.kept_slower = reverts_from(j.value("kept_slower", Json::array()));
    c.reverted_latency_ms = j.value("reverted_latency_ms", 0.0);
    return true;
  } catch (const std::exception&) {
    return false;  // a damaged entry: measure again
  }
}

void ResultCache::store(const std::string& key, const Candidate& c) {
  Json j;
  j["pipeline"] = c.pipeline;
  j["metrics"] = metrics_json(*c.metrics);
  j["excluded"] = c.excluded;
  j["reverts"] = reverts_json(c.reverts);
  j["kept_slower"] = reverts_json(c.kept_slower);
  j["reverted_latency_ms"] = c.reverted_latency_ms;
  entries_[key] = j.dump();
}

void ResultCache::save() const {
  Json j;
  j["schema"] = "edge.search-cache/1";
  Json entries = Json::object();
  for (const auto& [k, v] : entries_) entries[k] = Json::parse(v);
  j["entries"] = entries;
  write_file_atomic(path_, j.dump(1) + "\n");
}

std::string pareto_json(const SearchResult& r, const SearchOptions& opts) {
  Json j;
  j["schema"] = "edge.search/1";
  j["tool_version"] = opts.tool_version;
  j["model"] = opts.model_path.string();
  j["model_sha256"] = r.model_sha256;
  j["objective"] = objective_name(opts.objective);
  Json g;
  g["max_accuracy_drop"] = opts.gates.max_accuracy_drop;
  g["max_latency_ms"] = opts.gates.max_latency_ms ? Json(*opts.gates.max_latency_ms) : Json(nullptr);
  g["max_size"] = opts.gates.max_size ? Json(*opts.gates.max_size) : Json(nullptr);
  g["max_peak_memory"] = opts.gates.max_peak_memory ? Json(*opts.gates.max_peak_memory) : Json(nullptr);
  j["gates"] = g;
  j["seed"] = opts.seed;
  j["threads"] = opts.threads;
  j["original"] = metrics_json(r.original);
  j["best"] = r.best_id ? Json(r.best_id) : Json(nullptr);
  j["closest"] = r.closest_id ? Json(r.closest_id) : Json(nullptr);
  j["output"] = opts.output.string();
  j["measured_now"] = r.measured_now;
  j["seconds"] = r.seconds;
  Json cands = Json::array();
  for (const auto& c : r.candidates) {
    Json e;
    e["id"] = c.id;
    e["pipeline"] = c.pipeline;
    e["family"] = c.family;
    e["status"] = c.status;
    if (!c.why.empty()) e["why"] = c.why;
    Json m = c.metrics ? metrics_json(*c.metrics) : Json::object();
    for (const char* k : {"size_bytes", "latency_ms", "p99_latency_ms", "peak_memory_bytes", "top1", "agreement"}) {
      e[k] = m.contains(k) ? m[k] : Json(nullptr);
    }
    e["accuracy_drop"] = c.metrics ? Json(accuracy_drop(*c.metrics, r.original)) : Json(nullptr);
    e["on_front"] = c.on_front;
    e["meets_gates"] = c.meets_gates;
    e["gate_failures"] = c.gate_failures;
    e["reverted_layers"] = reverts_json(c.reverts);
    if (!c.kept_slower.empty()) {  // a revert that did not pay for the whole model
      e["slower_layers_kept"] = reverts_json(c.kept_slower);
      e["latency_ms_with_them_reverted"] = c.reverted_latency_ms;
    }
    if (c.on_front || c.id == r.best_id || c.id == r.closest_id) {
      e["model"] = "candidates/" + candidate_file(c.id, opts);
      e["recipe"] = "candidates/" + candidate_file(c.id, opts).substr(0, 2) + ".yaml";
    }
    e["seconds"] = c.seconds;
    cands.push_back(e);
  }
  j["candidates"] = cands;
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::optional<Metrics> metrics_from_report(const fs::path& report_json, std::string* pipeline, Metrics* original) {
  std::ifstream in(report_json);
  if (!in) fail(report_json.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || j.value("schema", "") != "edge.report/1") fail(report_json.string() + ": not an edge.report/1 JSON report");
  auto read = [](const Json& m) {
    Metrics out;
    out.size_bytes = m.contains("file_bytes") && !m["file_bytes"].is_null() ? m["file_bytes"].get<uint64_t>()
                                                                             : m.value("bytes", uint64_t{0});
    if (m.contains("latency_ms") && !m["latency_ms"].is_null()) out.latency_ms = m["latency_ms"].get<double>();
    if (m.contains("top1") && !m["top1"].is_null()) out.top1 = m["top1"].get<double>();
    if (m.contains("agreement_top1") && !m["agreement_top1"].is_null()) out.agreement = m["agreement_top1"].get<double>();
    return out;
  };
  if (pipeline) *pipeline = j.value("pipeline", "");
  if (original) *original = read(j.at("original"));
  if (!j.contains("result") || j["result"].is_null()) return std::nullopt;
  return read(j["result"]);
}

}  // namespace edge::search
