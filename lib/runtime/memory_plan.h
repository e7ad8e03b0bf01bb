// Static memory planning: given each intermediate buffer's size and lifetime (the steps from
// its producer to its last reader), assign every buffer an offset in one arena so that
// buffers alive at the same time never overlap. Greedy by size: the largest buffers are
// placed first, each at the lowest offset where it fits between the buffers already placed
// whose lifetimes overlap its own (the strategy TFLite Micro's planner popularized).
#pragma once

#include <cstdint>
#include <vector>

namespace edge::rt {

struct BufferRequest {
  int64_t bytes = 0;
  int first = 0;  // step that writes it
  int last = 0;   // last step that reads it (inclusive; >= first)
};

struct MemoryPlan {
  std::vector<int64_t> offsets;  // parallel to the requests; multiples of kAlignment
  int64_t arena_bytes = 0;
  static constexpr int64_t kAlignment = 64;
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

// True when no two requests that are alive at the same step overlap in the plan.
bool plan_is_valid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan);

}  // namespace edge::rt
