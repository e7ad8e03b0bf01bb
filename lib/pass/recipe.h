// YAML recipes: the same pipeline as --passes, plus data, gates, seed and layer rules.
//
//   version: 1
//   seed: 0
//   pipeline:
//     - fold-constants
//     - fuse-bn
//     - prune-magnitude: {sparsity: 0.8}
//   data:
//     calib: {path: calib.npy, scale: 1/255, limit: 500}
//     eval:  {path: eval.npy, labels: eval_y.npy, scale: 1/255}
//     train: {path: train.npy, labels: train_y.npy}
//   gates: {max-accuracy-drop: 0.01, min-agreement: 0.99, max-size: 500KB, max-latency-ms: 5, max-params: 100000}
//   shapes: {input: 1x3x224x224}        # fix dynamic input dims (as --shape)
//   layers:
//     - {match: conv1, exclude: true}
//     - {match: "re:fc.*", sparsity: 0.5}
//
// Relative data paths are resolved against the recipe's directory. Unknown keys and wrong
// types are errors naming the key. Layer rules are checked against the pipeline here
// (LayerRules): a per-layer option must belong to a pass of the pipeline and its value must
// fit that option's type and range.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pass/context.h"
#include "pass/layer_rules.h"
#include "pass/pipeline.h"

namespace edge::pass {

struct Gates {
  std::optional<double> max_accuracy_drop;  // absolute top-1
  std::optional<double> min_agreement;      // top-1 agreement with the original
  std::optional<uint64_t> max_size;         // bytes
  std::optional<double> max_latency_ms;
  std::optional<int64_t> max_params;
  bool any() const { return max_accuracy_drop || min_agreement || max_size || max_latency_ms || max_params; }
};

struct Recipe {
  Pipeline pipeline;
  std::optional<uint64_t> seed;
  DataSpec calib, eval, train;
  Gates gates;
  std::vector<LayerRule> layers;
  std::map<std::string, Shape> shapes;  // input name -> full shape (fixes dynamic dims)
};

Recipe load_recipe(const std::filesystem::path& path);
Recipe parse_recipe(const std::string& yaml_text, const std::filesystem::path& base_dir, const std::string& name);

// "500KB", "1.5MB", "2000000", "1GiB" -> bytes. Throws naming `what`.
uint64_t parse_size(const std::string& text, const std::string& what);

}  // namespace edge::pass
