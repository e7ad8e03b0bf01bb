// PassContext: everything a pass may use besides the graph.
#pragma once

#include <spdlog/logger.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "ir/model.h"
#include "pass/layer_rules.h"
#include "pass/pass.h"
#include "report/report.h"
#include "runtime/session.h"

namespace edge::pass {

// A dataset given by path plus preprocessing, opened on demand.
struct DataSpec {
  std::filesystem::path path;
  std::filesystem::path labels;  // optional
  data::DataOptions options;
  int64_t limit = 0;             // 0 = all samples
  int64_t batch = 1;
  bool empty() const { return path.empty(); }
};

class PassContext {
 public:
  PassContext(std::shared_ptr<spdlog::logger> logger, uint64_t seed) : logger_(std::move(logger)), rng_(seed), seed_(seed) {}

  spdlog::logger& log() { return *logger_; }
  std::mt19937_64& rng() { return rng_; }
  uint64_t seed() const { return seed_; }

  // The model as given to the pipeline (the distillation teacher, the accuracy baseline).
  const Model* original = nullptr;

  DataSpec calib, eval, train;
  // Where calibration ranges are cached (JSON, lib/calib); empty: no cache.
  std::filesystem::path calib_cache;
  // Opens a fresh pass over the data (nullptr when not given). Throws on bad data.
  std::unique_ptr<data::Dataset> open(const DataSpec& spec) const;
  std::optional<data::Labels> labels(const DataSpec& spec) const;

  // Sessions for calibration/evaluation, with the pipeline's runtime settings.
  rt::SessionOptions session_options;
  std::unique_ptr<rt::Session> make_session(const Model& m) const;

  // Layer rules (validated against the pipeline). Excluded layers must be left unchanged by
  // passes that edit layers.
  LayerRules layer_rules;
  bool layer_excluded(const std::string& node_name) const { return layer_rules.excluded(node_name); }

  // Creates the pass of `info` with `options`, makes them the running pass's options (what
  // for_layer starts from) and runs it on `model`.
  void run_pass(const PassInfo& info, const PassOptions& options, Model& model);
  // For the running pass: whether `node` is excluded, and the pass's options with the
  // node's overrides from the layer rules (typed, validated when the rules were read).
  // Throws an internal error outside run_pass.
  LayerOptions for_layer(const onnx::NodeProto& node) const { return for_layer(node.name()); }
  LayerOptions for_layer(const std::string& node_name) const;

  // The float model the last quantize stage started from (set by quantize-static and
  // quantize-auto; node names match the quantized model's), for passes that compare the
  // quantized model against it (bias-correction). Null before any quantize stage.
  std::shared_ptr<const Model> quantized_from;

  // Report section of the running stage (rows per layer, stage metrics, notes).
  report::StageRecord* stage = nullptr;

  // Progress for long loops (calibration, evaluation): done of total.
  std::function<void(const std::string& what, int64_t done, int64_t total)> progress;

 private:
  std::shared_ptr<spdlog::logger> logger_;
  const PassOptions* running_ = nullptr;  // options of the pass inside run_pass
  std::mt19937_64 rng_;
  uint64_t seed_;
};

}  // namespace edge::pass
