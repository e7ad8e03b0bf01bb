// The compression pipeline runner: runs each stage on the model, measures it before and
// after (size, params, sparsity, MACs, accuracy/agreement with eval data), verifies that the
// result still loads and runs in the edge runtime, writes provenance into metadata_props,
// and evaluates the CI gates. This is what `compressor compress` calls.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "pass/context.h"
#include "pass/pipeline.h"
#include "pass/recipe.h"
#include "report/report.h"

namespace edge::pass {

struct CompressOptions {
  Pipeline pipeline;
  uint64_t seed = 0;
  DataSpec calib, eval, train;
  std::filesystem::path calib_cache;  // calibration range cache (empty: none)
  Gates gates;
  std::vector<LayerRule> layers;  // checked against `pipeline` before any stage runs
  rt::SessionOptions session;
  bool measure_latency = false;  // also forced on by a latency gate
  int latency_runs = 30;
  bool dry_run = false;          // validate and plan only
  // Storage (docs/storage.md): initializers that pay are written as sparse_initializers
  // unless dense_weights; sizes in the report and the max-size gate are those of the stored
  // form. `output` is where the result goes: a path ending in ".zst" makes compress() encode
  // the .onnx.zst container (CompressResult::encoded) and measure it.
  bool dense_weights = false;
  std::filesystem::path output;
  std::string tool_version;
  std::shared_ptr<spdlog::logger> logger;  // default: a null logger
  std::function<void(const std::string& what, int64_t done, int64_t total)> progress;
};

struct CompressResult {
  Model model;  // dense in memory
  report::Report report;
  bool gates_passed = true;
  std::string encoded;  // the .onnx.zst file's bytes when `output` ends in ".zst" (else empty)
};

// How compress() writes `model` (sparse storage unless dense_weights).
SaveOptions save_options(const CompressOptions& opts);
// Writes the result to `path`: the encoded container when there is one, else save_model.
void write_result(const CompressResult& res, const std::filesystem::path& path, const CompressOptions& opts);

// `input_path` is used for the report and the provenance sha256 (of the file's bytes).
CompressResult compress(const Model& input, const std::string& input_path, const CompressOptions& opts);

// Provenance keys written into the output's metadata_props.
constexpr const char* kMetaVersion = "edge.compressor.version";
constexpr const char* kMetaPipeline = "edge.compressor.pipeline";
constexpr const char* kMetaSeed = "edge.compressor.seed";
constexpr const char* kMetaInputSha = "edge.compressor.input_sha256";

}  // namespace edge::pass
