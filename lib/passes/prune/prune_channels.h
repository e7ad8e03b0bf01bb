// prune-channels: structured pruning that removes whole output channels of Conv/Gemm layers
// and the matching input channels of every consumer (prune_channels.cc; the channel groups
// are prune_channels_groups.h, the scores prune_channels_scores.h).
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

class PruneChannels : public Pass {
 public:
  explicit PruneChannels(const PassOptions& o);
  static const char* summary();
  static std::vector<OptionSpec> options();
  void run(Model& model, PassContext& ctx) override;

 private:
  PassOptions opts_;
};

}  // namespace edge::pass
