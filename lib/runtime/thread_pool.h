// A small fixed-size thread pool for splitting one kernel's work across cores.
// parallel_for never allocates: the body is passed by reference (FunctionRef), and the
// split into chunks is fixed by n and the pool size, so results do not depend on timing.
// An exception thrown by any chunk (on the caller or on a worker) is rethrown to the caller
// after every chunk has finished; when several throw, the one from the lowest chunk wins.
//
// Waiting spins, then sleeps: a worker that finished a chunk watches for the next job for
// `spin_us` microseconds before it blocks on a condition variable, and the caller watches for
// the workers' chunks the same way. Inside one inference the next kernel's parallel_for comes
// within microseconds, so the handoff costs a cache-line transfer instead of a futex wake-up
// (tens of microseconds on virtual machines); between inferences the workers sleep, so an
// idle session takes no CPU. spin_us = 0 always sleeps, and so does a pool with more threads
// than the machine has cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/function_ref.h"

namespace edge::rt {

// Kernels split a layer across the pool only from this many multiply-accumulates on (about
// 5 us of work on one core): below it the handoff and, above all, moving the layer's data
// between the cores' caches cost more than the second core saves. On the 2-vCPU EPYC hosts a
// megabyte written on one core and read on the other costs about 100 us (docs/performance.md,
// "Threads"); every layer of the small fixtures stays on one thread.
inline constexpr double kParallelMinMacs = 1 << 19;

class ThreadPool {
 public:
  static constexpr int kDefaultSpinUs = 50;

  // `threads`: total threads including the caller.
  explicit ThreadPool(int threads, int spin_us = kDefaultSpinUs);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Runs fn(begin, end) over [0, n) in contiguous chunks; the caller takes part. Calls from
  // several threads at once are serialized; a call from inside a chunk runs serially.
  void parallel_for(int64_t n, RangeFn fn);

 private:
  void worker_loop(int index);
  void run_chunk(int index);
  // Spins until pred() holds or the spin time is over; whether it holds.
  template <typename Pred>
  bool spin_until(Pred pred) const;

  std::vector<std::thread> workers_;
  const int spin_us_;
  std::mutex call_mu_;  // one parallel_for at a time
  std::mutex mu_;       // guards the sleeping side of generation_/pending_ changes
  std::condition_variable cv_, done_cv_;
  // The job: written under mu_ before generation_ is bumped (release), read by workers after
  // they see the new generation (acquire).
  const RangeFn* job_ = nullptr;
  int64_t job_n_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::exception_ptr> errors_;  // by chunk index
};

// Runs fn over [0, n): split across `pool` when the layer does at least kParallelMinMacs
// multiply-accumulates, else on the caller alone. The kernels' one place for that choice.
inline void parallel_for_if(ThreadPool* pool, double macs, int64_t n, RangeFn fn) {
  if (pool && macs >= kParallelMinMacs) {
    pool->parallel_for(n, fn);
  } else {
    fn(0, n);
  }
}

}  // namespace edge::rt
