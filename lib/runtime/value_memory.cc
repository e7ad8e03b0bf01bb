#include "runtime/value_memory.h"

#include <atomic>
#include <cstring>

#include "runtime/memory_plan.h"

namespace edge::rt {

namespace {
std::atomic<bool> g_poison{false};

Buffer fresh(size_t bytes) {
  const bool poison = g_poison.load(std::memory_order_relaxed);
  Buffer b = Tensor::allocate(bytes, false);
  if (poison) std::memset(b.get(), 0xFF, bytes);
  return b;
}
}  // namespace

void set_poison_new_buffers(bool on) { g_poison = on; }

void ValueMemory::configure(std::vector<ValueLife> lives) {
  lives_ = std::move(lives);
  const size_t n = lives_.size();
  alias_.resize(n);
  for (size_t v = 0; v < n; ++v) alias_[v] = static_cast<int>(v);
  pinned_.assign(n, 0);
  for (size_t v = 0; v < n; ++v) pinned_[v] = lives_[v].persistent ? 1 : 0;
  seen_.assign(n, 0);
  offset_.assign(n, -1);
  planned_.assign(n, 0);
  keep_.assign(n, nullptr);
  keep_bytes_.assign(n, 0);
  arena_.reset();
  arena_bytes_ = 0;
  dirty_ = true;
}

int ValueMemory::root(int v) const {
  while (alias_[static_cast<size_t>(v)] != v) v = alias_[static_cast<size_t>(v)];
  return v;
}

Buffer ValueMemory::acquire(int v, size_t bytes) {
  const size_t uv = static_cast<size_t>(v);
  const auto want = static_cast<int64_t>(bytes);
  if (want > seen_[uv]) seen_[uv] = want;
  if (pinned_[static_cast<size_t>(root(v))]) {
    Buffer& keep = keep_[uv];
    if (keep && keep.use_count() == 1 && keep_bytes_[uv] >= want) return keep;
    if (keep) ++heap_fallbacks_;  // the caller still holds the last result: replace it
    keep = fresh(bytes);
    keep_bytes_[uv] = want;
    return keep;
  }
  if (offset_[uv] >= 0 && want <= planned_[uv]) {
    return Buffer(arena_, arena_.get() + offset_[uv]);  // aliasing: no allocation
  }
  dirty_ = true;
  ++heap_fallbacks_;
  return fresh(bytes);
}

bool ValueMemory::note_alias(int v, int src) {
  const int r = root(src);
  if (r == root(v)) return false;
  const size_t uv = static_cast<size_t>(v), ur = static_cast<size_t>(r);
  alias_[uv] = r;
  if (lives_[uv].last > lives_[ur].last) lives_[ur].last = lives_[uv].last;
  if (lives_[uv].persistent || pinned_[uv]) pinned_[ur] = 1;
  dirty_ = true;
  return true;
}

bool ValueMemory::in_arena(const void* p) const {
  const auto* b = static_cast<const uint8_t*>(p);
  return arena_ && b >= arena_.get() && b < arena_.get() + arena_bytes_;
}

void ValueMemory::finish_run() {
  if (!dirty_) return;
  dirty_ = false;
  std::vector<BufferRequest> reqs;
  std::vector<int> which;
  for (size_t v = 0; v < lives_.size(); ++v) {
    offset_[v] = -1;
    planned_[v] = 0;
    if (alias_[v] != static_cast<int>(v) || pinned_[v] || lives_[v].first < 0 || seen_[v] <= 0) continue;
    reqs.push_back({seen_[v], lives_[v].first, std::max(lives_[v].first, lives_[v].last)});
    which.push_back(static_cast<int>(v));
  }
  MemoryPlan plan = plan_memory(reqs);
  if (plan.arena_bytes > arena_bytes_ || !arena_) {
    arena_ = fresh(static_cast<size_t>(std::max<int64_t>(plan.arena_bytes, 1)));
    arena_bytes_ = plan.arena_bytes;
  }
  for (size_t i = 0; i < which.size(); ++i) {
    const size_t v = static_cast<size_t>(which[i]);
    offset_[v] = plan.offsets[i];
    planned_[v] = seen_[v];
  }
  ++plans_;
}

}  // namespace edge::rt
