// A small fixed-size thread pool for splitting one kernel's work across cores.
// parallel_for never allocates: the body is passed by reference (FunctionRef), and the
// split into chunks is fixed by n and the pool size, so results do not depend on timing.
// An exception thrown by any chunk (on the caller or on a worker) is rethrown to the caller
// after every chunk has finished; when several throw, the one from the lowest chunk wins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/function_ref.h"

namespace edge::rt {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller
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

  std::vector<std::thread> workers_;
  std::mutex call_mu_;  // one parallel_for at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const RangeFn* job_ = nullptr;
  int64_t job_n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;  // by chunk index
};

}  // namespace edge::rt
