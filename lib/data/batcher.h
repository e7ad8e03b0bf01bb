// Batcher: turns dataset samples into feeds for an edge::rt::Session.
//  - Binding: dataset arrays bind to model inputs by name when every name matches, else by
//    position (a single array binds to a single input).
//  - Shape: a sample fits an input when it equals the declared shape without its batch dim,
//    up to size-1 dims (uint8 [28,28] samples feed float [N,1,28,28]; a test_data_set
//    tensor [1,1,28,28] feeds [1,1,28,28]); dynamic dims take the sample's size.
//  - Batch: a batch dim fixed to K takes K samples a run (1 for most exported models); a
//    dynamic batch dim takes `batch` samples; a short last batch is padded by repeating the
//    last sample when the batch is fixed (callers use only the first rows).
//  - Dtype: float model inputs get (x * scale - mean[c]) / std[c]; integer inputs get the raw
//    values (cast between integer types), and refuse preprocessing settings.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "runtime/session.h"

namespace edge::data {

struct InputBinding {
  std::string name;         // model input
  size_t data_index = 0;    // index into Dataset::inputs()
  DType dtype = DType::kFloat;
  Shape sample_shape;       // one sample as fed (no batch dim)
  bool batched = true;      // the model input has a leading batch dim
  int64_t channels = 1;     // for per-channel mean/std
  int channel_axis = -1;    // axis of the stored sample holding channels, -1 if none
  // The stored sample is channels-last ([..., C], --layout nhwc) and the model takes it
  // channels-first (sample_shape [C, ...]): prepare() moves the channel axis to the front.
  bool channels_last_to_first = false;
};

class Batcher {
 public:
  // `batch` is used when the model's batch dim is dynamic (>= 1).
  Batcher(const rt::Session& session, const Dataset& data, int64_t batch = 1);

  int64_t batch_size() const { return batch_; }
  // Rows a run over n samples produces (the fixed batch, or n).
  int64_t rows_for(int64_t n) const { return fixed_batch_ ? batch_ : n; }
  const std::vector<InputBinding>& bindings() const { return bindings_; }

  // Converts one raw sample (as Dataset::read returns it) into the fed dtype and shape.
  Tensor prepare(const InputBinding& b, const Tensor& raw) const;
  // Stacks 1..batch_size() raw samples into feeds (see the padding rule above).
  rt::NamedTensors stack(const std::vector<std::vector<Tensor>>& samples) const;
  // Reads the next samples of the dataset's pass; false (and nothing read) when it is done.
  bool next(Dataset& data, std::vector<int64_t>* indices, rt::NamedTensors* feeds);

 private:
  std::string source_;
  Preprocess pre_;
  std::vector<InputBinding> bindings_;
  int64_t batch_ = 1;
  bool fixed_batch_ = false;
};

// For an image folder at `data`: fills options.channels and (when no resize was given)
// options.pre.resize_{h,w} from the model's first 4-D input in the chosen layout.
// Other data paths are returned unchanged.
DataOptions options_for_model(const std::filesystem::path& data, DataOptions options, const rt::Session& session);

}  // namespace edge::data
