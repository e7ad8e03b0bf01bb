#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace edge::rt {

namespace {
int64_t align_up(int64_t n) {
  const int64_t a = MemoryPlan::kAlignment;
  return (n + a - 1) / a * a;
}
bool lifetimes_overlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first <= b.last && b.first <= a.last;
}
}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), -1);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by first use then index, so the plan depends on the inputs only.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });
  struct Placed {
    int64_t begin, end;
  };
  std::vector<size_t> placed;
  std::vector<Placed> busy;
  for (size_t r : order) {
    const int64_t size = align_up(std::max<int64_t>(requests[r].bytes, 1));
    busy.clear();
    for (size_t p : placed) {
      if (lifetimes_overlap(requests[r], requests[p])) {
        busy.push_back({plan.offsets[p], plan.offsets[p] + align_up(std::max<int64_t>(requests[p].bytes, 1))});
      }
    }
    std::sort(busy.begin(), busy.end(), [](const Placed& a, const Placed& b) { return a.begin < b.begin; });
    int64_t offset = 0;
    for (const auto& b : busy) {
      if (b.begin - offset >= size) break;  // fits in the gap before b
      offset = std::max(offset, b.end);
    }
    plan.offsets[r] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(r);
  }
  return plan;
}

bool plan_is_valid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan) {
  if (plan.offsets.size() != requests.size()) return false;
  for (size_t i = 0; i < requests.size(); ++i) {
    const int64_t bi = plan.offsets[i], ei = bi + requests[i].bytes;
    if (bi < 0 || bi % MemoryPlan::kAlignment != 0 || ei > plan.arena_bytes) return false;
    for (size_t j = i + 1; j < requests.size(); ++j) {
      if (!lifetimes_overlap(requests[i], requests[j])) continue;
      const int64_t bj = plan.offsets[j], ej = bj + requests[j].bytes;
      if (requests[i].bytes > 0 && requests[j].bytes > 0 && bi < ej && bj < ei) return false;
    }
  }
  return true;
}

}  // namespace edge::rt
