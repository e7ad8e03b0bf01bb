// Textual pipelines: "fold-constants,fuse-bn,prune-magnitude<sparsity=0.8>".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pass/pass.h"

namespace edge::pass {

struct PipelineEntry {
  const PassInfo* info = nullptr;
  PassOptions options;
  std::string canonical() const;  // "prune-magnitude<sparsity=0.8>" or "fuse-bn"
};

using Pipeline = std::vector<PipelineEntry>;

// Parses and validates against the registry. Throws Error (kInvalidInput) with the
// position and, for unknown names, the nearest valid name. A free-text option (string,
// no choices) takes the following items without '=' as a comma list:
// "sensitivity<sparsities=0.5,0.7,0.9,samples=64>".
Pipeline parse_pipeline(const std::string& text);
// Builds one entry from a pass name and raw option values (recipes use this).
PipelineEntry make_entry(const std::string& name, const std::map<std::string, std::string>& values);
std::string canonical_pipeline(const Pipeline& p);

}  // namespace edge::pass
