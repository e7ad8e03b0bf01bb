// The pass registry, generated from passes.def.
#pragma once

#include <string>
#include <vector>

#include "pass/pass.h"

namespace edge::pass {

const std::vector<PassInfo>& all_passes();
// Throws Error "unknown pass 'x' (did you mean 'y'?)" when absent.
const PassInfo& find_pass(const std::string& name);

// Nearest candidate by edit distance, or "" when nothing is close.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace edge::pass
