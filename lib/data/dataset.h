// Datasets: named input tensors (and optional labels) read sample by sample, for calibration,
// evaluation and training. Readers stream from disk (bounded memory):
//   - a folder of ONNX test_data_set_N directories (input_K.pb), or one such directory;
//   - a .npy file (first dim = samples) or a .npz archive (one member per model input);
//   - an MNIST-style idx file (.gz too);
//   - a folder of images (PNG/JPEG/BMP/...), class labels from sub-folder names (sorted).
// `open_dataset` detects the format from the path. `Batcher` (batcher.h) turns samples into
// session feeds; `evaluate` (evaluate.h) scores a model on a dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace edge::data {

enum class Layout { kNCHW, kNHWC };

// Preprocessing applied when a sample is fed to a floating-point model input:
//   y = (x * scale - mean[c]) / std[c]   (c = channel; one value applies to every channel)
// Integer model inputs receive the raw values (no preprocessing may be set then).
struct Preprocess {
  double scale = 1.0;
  std::vector<float> mean;  // empty: 0
  std::vector<float> std;   // empty: 1
  // Where the channel axis of a sample is: first (NCHW) or last (NHWC). Image folders are
  // decoded into this layout; for tensor files it only locates the channel for mean/std.
  Layout layout = Layout::kNCHW;
  int64_t resize_h = 0, resize_w = 0;  // image folders only; 0 = keep the decoded size
  bool is_identity() const { return scale == 1.0 && mean.empty() && std.empty(); }
};

struct DataOptions {
  Preprocess pre;
  int channels = 0;  // image folders: 1 (gray) or 3 (RGB); 0 = from the first image
};

// One input array of a dataset: name ("" when the file has none), element type and the
// shape of one sample (no batch dim).
struct SampleInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;
};

// Integer class labels, one per sample (held in memory: 8 bytes a sample).
class Labels {
 public:
  Labels() = default;
  Labels(std::vector<int64_t> values, std::string source) : values_(std::move(values)), source_(std::move(source)) {}
  int64_t size() const { return static_cast<int64_t>(values_.size()); }
  int64_t at(int64_t i) const { return values_[static_cast<size_t>(i)]; }
  const std::vector<int64_t>& values() const { return values_; }
  const std::string& source() const { return source_; }

 private:
  std::vector<int64_t> values_;
  std::string source_;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;

  // Samples in the file(s).
  virtual int64_t size() const = 0;
  // The input arrays each sample holds (one per model input).
  virtual const std::vector<SampleInfo>& inputs() const = 0;
  // Reads sample `index` (storage order, 0 <= index < size()): one tensor per input, of the
  // shape in inputs() and the stored dtype (images: uint8 in the chosen layout).
  virtual std::vector<Tensor> read(int64_t index) = 0;
  // Labels that come with the data (image sub-folders), or nullptr.
  virtual const Labels* embedded_labels() const { return nullptr; }
  virtual std::vector<std::string> class_names() const { return {}; }
  // "npy", "npz", "idx", "pb", "images".
  virtual std::string format() const = 0;

  const std::string& source() const { return source_; }
  const DataOptions& options() const { return options_; }

  // Iteration: a permutation of [0, size()) (identity unless shuffled), cut to `limit`.
  // shuffle() uses its own Fisher-Yates over a seeded mt19937_64, so the order is the same
  // on every platform; it rewinds the cursor.
  void shuffle(uint64_t seed);
  void set_limit(int64_t limit);  // 0 = no limit; rewinds the cursor
  void reset() { cursor_ = 0; }
  int64_t count() const;  // samples per pass: min(size, limit)
  int64_t position() const { return cursor_; }
  // The storage indices of the next up to n samples (empty when the pass is done).
  std::vector<int64_t> next_indices(int64_t n);
  int64_t index_at(int64_t k) const { return order_.empty() ? k : order_[static_cast<size_t>(k)]; }

 protected:
  Dataset(std::string source, DataOptions options) : source_(std::move(source)), options_(std::move(options)) {}
  // Called before a shuffled pass: readers whose backing store cannot seek backwards cheaply
  // (gzip) load it into memory here.
  virtual void prepare_random_access() {}

 private:
  std::string source_;
  DataOptions options_;
  std::vector<int64_t> order_;
  int64_t limit_ = 0;
  int64_t cursor_ = 0;
};

// Opens a dataset, detecting the format from the path: a directory holding input_*.pb or
// test_data_set_* directories -> pb; other directories -> images; .npy, .npz, .idx/.gz or a
// name with "idx" in it (MNIST's "train-images-idx3-ubyte") -> those readers.
// Throws Error naming the path when it is missing, unreadable or malformed.
std::unique_ptr<Dataset> open_dataset(const std::filesystem::path& path, const DataOptions& options = {});

// Reads labels from an idx(.gz) file or a .npy of integers ([N] or [N,1]; [N,C] one-hot or
// scores are reduced with argmax).
Labels open_labels(const std::filesystem::path& path);

// Throws Error naming both sources when the label count differs from the sample count.
void check_labels(const Dataset& data, const Labels& labels);

// "1/255" or "0.5" -> double; "0.5,0.4,0.3" -> floats. Throw Error naming `flag`.
double parse_scale(const std::string& text, const std::string& flag);
std::vector<float> parse_float_list(const std::string& text, const std::string& flag);
// "224x224" or "224" -> {h, w}.
std::pair<int64_t, int64_t> parse_resize(const std::string& text, const std::string& flag);
Layout parse_layout(const std::string& text, const std::string& flag);

}  // namespace edge::data
