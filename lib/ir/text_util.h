// Text for people: "did you mean ...?" for unknown names (passes, options, recipe keys, CLI
// commands and flags), and the one convention for sizes (binary units, labelled KiB/MiB/GiB)
// that the apps and the reports share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edge {

// The candidate nearest to `name` by edit distance (a prefix of at least 3 characters counts
// as distance 1), or "" when nothing is close enough to suggest.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);

// "812 B", "26.1 KiB", "4.02 MiB", "1.50 GiB" (1 KiB = 1024 B).
std::string format_bytes(uint64_t bytes);
// How `result` compares with `original`: "3.41× smaller (29.3% of original)", "4.2% smaller"
// (under 10% smaller), "grew 0.4%", "unchanged"; "—" when either is 0.
std::string size_change(uint64_t original, uint64_t result);

}  // namespace edge
