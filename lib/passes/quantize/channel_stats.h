// Per-channel statistics of intermediate values over calibration samples, read through a session's
// run observer: the largest value and the mean of every channel. equalize uses the maxima (which
// Clip bounds a channel reaches), bias-correction the means (the float and the quantized model's
// layer outputs).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "runtime/session.h"

namespace edge::pass::quant {

struct ChannelStats {
  std::vector<double> max, sum;  // per channel
  int64_t per_channel = 0;       // values summed into each channel
  double mean(size_t c) const { return per_channel > 0 ? sum[c] / static_cast<double>(per_channel) : 0.0; }
};

// Runs `session` (create it with fuse off, so that every value is produced as written) on the first
// `samples` samples of `data` from its current position (0: all), `batch` per run for a dynamic
// batch dim, and gathers the statistics of every value of `axis_by_value` (value name -> channel
// axis, negative counts from the end). Throws Error when a value is never produced.
std::map<std::string, ChannelStats> channel_stats(rt::Session& session, data::Dataset& data,
                                                  const std::map<std::string, int>& axis_by_value, int64_t samples,
                                                  int64_t batch);

}  // namespace edge::pass::quant
