#include "runtime/thread_pool.h"

#include <algorithm>

namespace edge::rt {

namespace {
thread_local bool t_in_pool_chunk = false;

void chunk(int64_t n, int parts, int index, int64_t* b, int64_t* e) {
  int64_t base = n / parts, rem = n % parts;
  *b = index * base + std::min<int64_t>(index, rem);
  *e = *b + base + (index < rem ? 1 : 0);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int n = std::max(threads, 1);
  errors_.resize(static_cast<size_t>(n));
  for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunk(int index) {
  int64_t b, e;
  chunk(job_n_, size(), index, &b, &e);
  if (b >= e) return;
  const bool outer = t_in_pool_chunk;
  t_in_pool_chunk = true;
  try {
    (*job_)(b, e);
  } catch (...) {
    errors_[static_cast<size_t>(index)] = std::current_exception();
  }
  t_in_pool_chunk = outer;
}

void ThreadPool::parallel_for(int64_t n, RangeFn fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1 || t_in_pool_chunk) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    job_n_ = n;
    pending_ = static_cast<int>(workers_.size());
    for (auto& e : errors_) e = nullptr;
    ++generation_;
  }
  cv_.notify_all();
  run_chunk(0);
  std::exception_ptr first;
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    for (auto& e : errors_) {
      if (e && !first) first = e;
      e = nullptr;
    }
  }
  if (first) std::rethrow_exception(first);
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_chunk(index);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

}  // namespace edge::rt
