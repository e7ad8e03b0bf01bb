// Calibration: streams a dataset through a model and returns, per observed float tensor,
// the real-valued range a quantizer should map onto its integer grid.
//
// Observers see every node output through rt::Session::set_observer (fusion off, so every
// tensor of the written graph is seen). Memory is bounded: per tensor a running min/max and
// a fixed-size histogram (calib/histogram.h: re-binned exactly when the range grows), never
// the activations themselves.
//
// Methods (calib/range_methods.h; algorithms in docs/calibration.md):
//   minmax      observed min and max
//   percentile  the `percentile` (e.g. 99.99) of the upper tail for non-negative data (of the
//               lower tail for non-positive data), of each tail for signed data
//   entropy     the clipping threshold whose grid-quantized histogram has the least
//               KL divergence from the clipped float histogram
//   mse         the clipping threshold minimizing the expected rounding + clipping error
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
  double percentile = 99.99;  // (0, 100]; for kPercentile
  int64_t samples = 0;        // 0 = the whole dataset
  int64_t batch = 1;          // used when the model's batch dim is dynamic
  int bins = 2048;            // histogram bins per tensor, [16, 2^20]; entropy: [2^(bits+1), 16384]
  // Integer grid the ranges will be used for (entropy and mse search depend on it), bits in
  // [2, 16]. unsigned_grid true: an affine grid of 2^bits levels over [min, max] (u8, or
  // int8 with a zero point); false: a symmetric signed grid (zero point 0, step
  // max(|min|, max) / (2^(bits-1) - 1)).
  int bits = 8;
  bool unsigned_grid = true;
};

// The range chosen for one tensor plus what was observed (for the report's error table).
struct TensorRange {
  float min = 0.f, max = 0.f;  // chosen range (contains 0)
  float observed_min = 0.f, observed_max = 0.f;
  double clipped_fraction = 0.0;  // share of observed values outside [min, max]
  int64_t count = 0;              // finite values observed
  int64_t nonfinite = 0;          // NaN and infinities seen (left out of the range)
};

using Ranges = std::map<std::string, TensorRange>;

struct CalibRequest {
  // Tensors to observe (node outputs or graph inputs). Empty = every float tensor produced
  // by a node, plus every float graph input.
  std::vector<std::string> tensors;
  CalibOptions options;
  // Threads, input shapes, backends (fuse is forced off).
  rt::SessionOptions session;
  // Optional: called after each batch with the samples done and the samples to read.
  std::function<void(int64_t done, int64_t total)> progress;
};

// Runs `model` on `data` (from its current position; at most options.samples samples) and
// returns the ranges of the requested tensors. Batches are fed as data::evaluate feeds them
// (data::Batcher); rows that only pad a short last batch of a fixed-batch model are left out
// of tensors whose first dim is the batch. Only the main graph's tensors are observed
// (If/Loop bodies are not). Results do not depend on session.threads.
// Throws edge::Error (bad options, bad data shape/dtype naming the input, no samples, a
// requested tensor that the model does not produce or that is not a float tensor).
Ranges calibrate(const Model& model, data::Dataset& data, const CalibRequest& request);

// Cache of ranges beside an output model: a JSON file keyed by a digest of the model bytes,
// the dataset (format, source path, size, per-file sizes and modification times,
// preprocessing, and which samples a calibration from its current position reads in what
// order) and the options that change ranges (the method; percentile for percentile; bits and
// grid for entropy and mse; samples, batch, bins). load returns nothing when the file is
// missing, unreadable, corrupt or for another key.
std::string cache_key(const Model& model, const data::Dataset& data, const CalibOptions& options);
// The key does not cover the session options (backends, input shapes): callers that change
// them pass another cache file. load never throws for a bad file; save writes atomically and
// throws edge::Error naming the file when it cannot.
std::optional<Ranges> load_cache(const std::filesystem::path& file, const std::string& key);
void save_cache(const std::filesystem::path& file, const std::string& key, const Ranges& ranges);
// "<output model>.calib.json": where a cache beside an output model lives.
std::filesystem::path default_cache_path(const std::filesystem::path& output_model);

}  // namespace edge::calib
