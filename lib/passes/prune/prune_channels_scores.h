// How much each channel of a channel group matters, for prune-channels to remove the least
// important ones: filter norms (l1, l2) of the group's producers, or the measured change of
// the model's outputs when the channel is removed (sensitivity).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "pass/context.h"
#include "passes/prune/prune_channels_groups.h"

namespace edge::pass::prune {

// Per channel of `group`: the L1 (or L2) norm of each producer's filter (the weight as
// stored), summed over the group's producers.
std::vector<double> norm_scores(const Model& model, const ChannelAnalysis& analysis, int group, bool l2);

// Per channel of each group in `groups`: the mean squared change of the model's outputs on
// the first `samples` samples of the calibration data when that channel alone is removed.
// Removing a channel is exact here: the entries of every consumer that reads it (the
// terminal edits) are zeroed, which is what the channel contributes downstream.
std::map<int, std::vector<double>> sensitivity_scores(const Model& model, const ChannelAnalysis& analysis,
                                                      const std::vector<int>& groups, int64_t samples,
                                                      PassContext& ctx);

// The channels to keep: all but the `remove` with the lowest scores (ties: the higher index
// goes first), sorted.
std::vector<int64_t> channels_to_keep(const std::vector<double>& scores, int64_t remove);

}  // namespace edge::pass::prune
