// ValueMemory: where one compiled graph's values get their storage on each run.
//
// The first run of a graph allocates every intermediate on the heap and records its size;
// after it, the intermediates are packed into one arena by the static planner (memory_plan.h)
// from their lifetimes, and later runs hand out arena slices: no heap allocation and no zero
// fill in steady state. When a value needs more bytes than planned (a dynamic dim grew) it
// falls back to the heap for that run, and the arena is re-planned after the run.
//
// Values that outlive the run (graph outputs, returned to the caller) never live in the
// arena: each has a persistent buffer that is reused when the caller no longer holds the
// previous result, else replaced. A kernel may return a view of an input (Reshape, Identity);
// the runner reports such aliases, and the viewed buffer's lifetime is extended to cover the
// view's (an alias first seen mid-run is copied out by the runner for that run, and planned
// for from the next).
#pragma once

#include <cstdint>
#include <vector>

#include "ir/tensor.h"

namespace edge::rt {

struct ValueLife {
  int first = -1;          // step producing the value (-1: input, constant or unused)
  int last = -1;           // last step reading it (>= first; == first when nobody reads it)
  bool persistent = false;  // returned from the run: never placed in the arena
};

class ValueMemory {
 public:
  void configure(std::vector<ValueLife> lives);

  // Storage of at least `bytes` bytes for value `v`, produced by the current step.
  Buffer acquire(int v, size_t bytes);
  // Output value `v` of the step just run is a view of value `src`'s storage. Returns true
  // when the plan did not know this (then a view pointing into the arena must be copied out
  // by the caller for this run).
  bool note_alias(int v, int src);
  // True if value `v` must not be left pointing into the arena after its step.
  bool persistent(int v) const { return pinned_[static_cast<size_t>(root(v))] != 0; }
  bool in_arena(const void* p) const;
  // Re-plans the arena when sizes or aliases changed during the run.
  void finish_run();

  int64_t arena_bytes() const { return arena_bytes_; }
  bool planned() const { return plans_ > 0; }
  int64_t plans() const { return plans_; }                      // times the arena was (re)planned
  int64_t heap_fallbacks() const { return heap_fallbacks_; }    // buffers taken from the heap

 private:
  int root(int v) const;

  std::vector<ValueLife> lives_;
  std::vector<int> alias_;          // the value whose storage v views, or v itself
  std::vector<char> pinned_;        // per root: persistent
  std::vector<int64_t> seen_;       // largest size asked for, per value
  std::vector<int64_t> offset_;     // arena offset per value, -1 when not in the arena
  std::vector<int64_t> planned_;    // bytes reserved at offset_
  std::vector<Buffer> keep_;        // persistent buffers per value
  std::vector<int64_t> keep_bytes_;
  Buffer arena_;
  int64_t arena_bytes_ = 0;
  int64_t plans_ = 0, heap_fallbacks_ = 0;
  bool dirty_ = true;
};

// Test hook: fill every newly allocated run-time buffer with 0xFF bytes (NaN as float), so
// that a kernel relying on zero-filled outputs fails its tests. Off by default.
void set_poison_new_buffers(bool on);

}  // namespace edge::rt
