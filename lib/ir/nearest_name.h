// "did you mean ...?" for unknown names: passes, options, recipe keys, CLI commands and flags.
#pragma once

#include <string>
#include <vector>

namespace edge {

// The candidate nearest to `name` by edit distance (a prefix of at least 3 characters counts
// as distance 1), or "" when nothing is close enough to suggest.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace edge
