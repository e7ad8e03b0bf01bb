// Pure rules of the search: dominance over (size, latency, accuracy), the Pareto front,
// gates, the best candidate by objective and the closest one when none meets the gates.
#pragma once

#include <string>
#include <vector>

#include "search/search.h"

namespace edge::search {

// Top-1 with labels, else agreement with the original (higher is better).
double accuracy_score(const Metrics& m);
// Accuracy drop against the original (top-1 with labels, else 1 - agreement).
double accuracy_drop(const Metrics& m, const Metrics& original);

// `a` is no worse than `b` in size, latency and accuracy, and better in at least one.
bool dominates(const Metrics& a, const Metrics& b);

// Sets on_front for every candidate with metrics that no other candidate dominates; equal
// metrics keep the lower id only.
void mark_front(std::vector<Candidate>& cands);

// One line per failed gate ("accuracy drop 0.0120 > 0.0050"); empty when all hold.
std::vector<std::string> gate_failures(const Metrics& m, const Metrics& original, const SearchGates& g);

// The id of the best candidate meeting every gate by `objective` (ties: size, latency,
// accuracy, then id), or 0.
int pick_best(const std::vector<Candidate>& cands, Objective objective);
// The id of the measured candidate whose summed relative excess over the gates is least, or 0.
int pick_closest(const std::vector<Candidate>& cands, const Metrics& original, const SearchGates& g);

// The verdict on a finished search: every measured candidate's gate failures, the front, the
// best by `objective` and, when there is none, the closest.
void judge_candidates(SearchResult& r, const SearchGates& g, Objective objective);

}  // namespace edge::search
