// Measures one model the way the search compares candidates, with rt::Session on this
// machine: latency (fixed warm-up and timed runs on seeded random inputs: median and p99),
// a peak-memory proxy (the planned arena of intermediates after a run plus the bytes of every
// initializer as loaded), top-1 and agreement with the original on the evaluation data, and
// per-node times from the runtime's profile for the revert step.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ir/model.h"
#include "pass/context.h"
#include "search/search.h"

namespace edge::search {

struct LayerTime {
  std::string op;
  std::string kernel;  // "cpu:conv2d-packed", "reference", ...
  double ms = 0;       // fastest of the timed runs
};

class Measurer {
 public:
  // `original` is the reference for agreement; eval data is opened on each measurement.
  Measurer(const SearchOptions& opts, const Model& original);

  // Every metric but size_bytes (the caller knows how the model is stored).
  Metrics measure(const Model& m) const;
  // Per-node time (fastest of the timed runs), by node name (fused nodes keep the op's name).
  std::map<std::string, LayerTime> layer_times(const Model& m) const;

  const pass::DataSpec& eval() const { return eval_; }

 private:
  rt::SessionOptions session_options(bool profile) const;

  const SearchOptions& opts_;
  const Model& original_;
  pass::DataSpec eval_;  // fitted to the model (image folders)
  std::unique_ptr<rt::Session> reference_;
};

// Bytes of every initializer's elements as the runtime holds them (dense).
uint64_t initializer_bytes(const Model& m);

}  // namespace edge::search
