// Which initializers a prune stage zeroed, and how, recorded in the model's
// metadata_props so that later stages (fine-tuning / distillation must keep
// pruned weights at zero) and tools can find them: key "edge.pruned", value a
// JSON object
//   {"<initializer>": "magnitude" | "nm:<n>:<m>", ...}
// with keys sorted. Writing merges with an existing entry (a later method for
// the same initializer replaces the earlier one).
#pragma once

#include <map>
#include <string>

#include "ir/model.h"

namespace edge::pass::prune {

constexpr const char* kMetaPruned = "edge.pruned";

// The recorded entries; empty when the model has none. Throws Error (invalid
// input) when the entry is not a JSON object of strings.
std::map<std::string, std::string> read_pruned(const Model& m);
// Merges `entries` into the model's record (creating it when absent).
void record_pruned(Model& m, const std::map<std::string, std::string>& entries);
// The method text for N:M sparsity: "nm:2:4".
std::string nm_method(int n, int m);

}  // namespace edge::pass::prune
