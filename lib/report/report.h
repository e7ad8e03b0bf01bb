// The compression report: one model, written as JSON (schema docs/report-schema.md),
// Markdown and a self-contained HTML page. Stages fill StageRecords through the
// PassContext; the pipeline runner fills sizes, timings, accuracy and gates.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edge::report {

constexpr const char* kSchema = "edge.report/1";

// Size and accuracy of a model at one point of the pipeline.
struct ModelMetrics {
  uint64_t bytes = 0;          // serialized ONNX size as written (sparse initializers included)
  int64_t params = 0;          // initializer elements
  double sparsity = 0;         // zero fraction over weight initializers of weighted layers
  int64_t macs = 0;
  std::optional<double> top1;            // with labelled eval data
  std::optional<double> agreement_top1;  // vs the original model, with eval data
  std::optional<double> cosine;
  std::optional<double> latency_ms;      // median of repeat medians, measured by edge-run here
  std::optional<double> latency_spread_ms;  // half the range of the repeat medians (the noise)
  uint64_t dense_bytes = 0;    // serialized ONNX size with every initializer dense
  int64_t sparse_initializers = 0;    // initializers written as sparse_initializers
  std::optional<uint64_t> file_bytes;  // the .onnx.zst container's size, when the output is one
};

// "within noise" when two latencies differ by no more than their spreads together (at least
// 2% of the larger), else the signed relative change ("-23.5%").
std::string latency_change(const ModelMetrics& before, const ModelMetrics& after);

// One row per layer a stage touched or measured. Numeric metrics go in `metrics`
// (e.g. "sparsity", "bits", "mse", "sqnr_db"), text facts in `attrs` (e.g. "dtype").
struct LayerRecord {
  std::string name;
  std::string op;
  int64_t params = 0;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> attrs;
};

struct StageRecord {
  std::string name;      // pass name
  std::string options;   // canonical options ("sparsity=0.8")
  std::string kind;      // cleanup | prune | quantize | distill
  double seconds = 0;
  ModelMetrics before, after;
  int nodes_before = 0, nodes_after = 0;
  std::vector<LayerRecord> layers;
  std::map<std::string, double> metrics;  // stage-level numbers ("folded_nodes": 3, ...)
  std::vector<std::string> notes;
  // Display order of the layer table's metric/attr columns: these first (when present), then
  // the others sorted. Not part of the JSON (key order carries no meaning there).
  std::vector<std::string> columns;
};

struct GateRecord {
  std::string name;   // "max-accuracy-drop"
  double limit = 0;
  double value = 0;
  bool passed = true;
  std::string unit;   // "", "bytes", "ms", "params"
  std::string detail; // "accuracy dropped 0.023 (limit 0.010)"
};

struct Report {
  std::string tool_version;
  std::string input_path, output_path;
  std::string input_sha256;
  std::string pipeline;  // canonical pipeline string
  uint64_t seed = 0;
  std::string started_at;  // ISO 8601 UTC; timestamps live here, never in the model
  double total_seconds = 0;
  ModelMetrics original, result;
  std::vector<StageRecord> stages;
  std::vector<GateRecord> gates;
  std::string verdict;  // "pass" | "gate-failed" | "dry-run"
  std::vector<std::string> notes;
};

// Writers. `format` follows the file extension in write_report: .json, .md, .html.
std::string to_json(const Report& r);
std::string to_markdown(const Report& r);
std::string to_html(const Report& r);
// Writes atomically; the format comes from the extension (.json, .md/.markdown, .html/.htm).
void write_report(const Report& r, const std::string& path);

}  // namespace edge::report
