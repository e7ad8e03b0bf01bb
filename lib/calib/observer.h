// TensorObserver: the per-tensor histograms of a calibration run, fed from a session's node
// outputs (rt::Session::set_observer) and from the feeds of the graph inputs.
//
// Memory is O(bins) per observed tensor: values go into the histogram as they are seen and
// are never kept. Only the main graph (depth 0) is observed; Constant nodes run once at
// preparation and are not seen (their values are weights, not activations).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "calib/calibrate.h"
#include "calib/histogram.h"
#include "runtime/session.h"

namespace edge::calib {

class TensorObserver {
 public:
  // `names`: the tensors to observe; empty = every float tensor a node of the main graph
  // produces plus every float graph input that a caller feeds. Throws edge::Error naming the
  // model and the tensor for a name that is not such a value (unknown, an initializer, or a
  // Constant node's output).
  TensorObserver(const Model& model, const std::vector<std::string>& names, int bins);
  TensorObserver(const TensorObserver&) = delete;
  TensorObserver& operator=(const TensorObserver&) = delete;

  // Installs the node callback on `session`; this object must outlive its runs.
  void attach(rt::Session& session);

  // Brackets one run over `kept` samples fed as `rows` batch rows (rows > kept when a fixed
  // batch was padded: tensors whose first dim is `rows` are observed on their first `kept`
  // rows only). begin_batch observes the float feeds; end_batch throws edge::Error when a
  // requested tensor turned out not to be a float tensor.
  void begin_batch(const rt::NamedTensors& feeds, int64_t kept, int64_t rows);
  void end_batch();

  // Adds one tensor's values (float types; others are refused for requested names).
  void observe(const std::string& name, const Tensor& t);

  // The observed histograms by name (tensors seen with a float type).
  std::map<std::string, const Histogram*> histograms() const;
  // Throws edge::Error when a requested tensor was never computed.
  void check_all_seen() const;
  // Ranges of every observed tensor by `options`.
  Ranges ranges(const CalibOptions& options) const;
  // Bytes held by the histograms and the name table: independent of the samples seen.
  size_t memory_bytes() const;

 private:
  struct Slot {
    std::string name;
    std::optional<Histogram> hist;  // created when first seen with a float type
    bool requested = false;
  };

  std::string model_name_;
  int bins_;
  bool explicit_names_ = false;
  std::vector<Slot> slots_;
  std::unordered_map<std::string, size_t> by_name_;
  int64_t kept_ = 0, rows_ = 0;
  std::string bad_type_;        // "name: dtype" of a requested non-float tensor, thrown by end_batch
  std::vector<float> convert_;  // reused for non-float32 floating tensors
};

}  // namespace edge::calib
