// Calibration: streams a dataset through a model and returns, per observed float tensor,
// the real-valued range a quantizer should map onto its integer grid.
//
// Observers see every node output through rt::Session::set_observer (fusion off, so every
// tensor of the written graph is seen). Memory is bounded: per tensor a running min/max and
// a fixed-size histogram (re-binned when the range grows), never the activations themselves.
//
// Methods:
//   minmax      observed min and max
//   percentile  the `percentile` (e.g. 99.99) of |x| (symmetric data) or of each tail
//   entropy     KL-divergence-optimal clipping threshold (TensorRT-style histogram search)
//   mse         the clipping threshold minimizing the expected quantization + clipping MSE
// Every range contains 0 (so zero is exactly representable).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "ir/model.h"
#include "runtime/session.h"

namespace edge::calib {

enum class Method { kMinMax, kPercentile, kEntropy, kMse };
// "minmax", "percentile", "entropy", "mse"; parse throws edge::Error on anything else.
const char* method_name(Method m);
Method parse_method(const std::string& name);

struct CalibOptions {
  Method method = Method::kMinMax;
  double percentile = 99.99;    // (0, 100]; for kPercentile
  int64_t samples = 0;          // 0 = the whole dataset
  int64_t batch = 1;            // used when the model's batch dim is dynamic
  int bins = 2048;              // histogram bins per tensor
  // Integer grid the ranges will be used for (entropy and mse search depend on it):
  // 8-bit unless told otherwise; `unsigned_grid` true for u8 activations.
  int bits = 8;
  bool unsigned_grid = true;
};

// The range chosen for one tensor plus what was observed (for the report's error table).
struct TensorRange {
  float min = 0.f, max = 0.f;            // chosen range (contains 0)
  float observed_min = 0.f, observed_max = 0.f;
  double clipped_fraction = 0.0;         // share of observed values outside [min, max]
  int64_t count = 0;                     // values observed
};

using Ranges = std::map<std::string, TensorRange>;

struct CalibRequest {
  // Tensors to observe (node outputs or graph inputs). Empty = every float tensor produced
  // by a node, plus every float graph input.
  std::vector<std::string> tensors;
  CalibOptions options;
  rt::SessionOptions session;  // threads, input shapes, backends (fuse is forced off)
  std::function<void(int64_t done, int64_t total)> progress;  // optional
};

// Runs `model` on `data` (from its current position; at most options.samples samples) and
// returns the ranges of the requested tensors. Throws edge::Error (bad data shape/dtype naming
// the input, empty dataset, a requested tensor that the model does not produce).
Ranges calibrate(const Model& model, data::Dataset& data, const CalibRequest& request);

// Cache of ranges beside an output model: a JSON file keyed by a digest of the model bytes,
// the dataset (source path, size, per-file sizes and modification times) and the options that
// change ranges. load returns nothing when the file is missing, unreadable or for another key.
std::string cache_key(const Model& model, const data::Dataset& data, const CalibOptions& options);
std::optional<Ranges> load_cache(const std::filesystem::path& file, const std::string& key);
void save_cache(const std::filesystem::path& file, const std::string& key, const Ranges& ranges);

}  // namespace edge::calib
