#include "runtime/thread_pool.h"

#include <algorithm>

namespace edge::rt {

namespace {
thread_local bool t_in_pool_chunk = false;

// Pause instructions before a waiting thread sleeps.
constexpr int kSpins = 1 << 14;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

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
    stop_.store(true, std::memory_order_release);
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
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    for (auto& e : errors_) e = nullptr;
    generation_.fetch_add(1, std::memory_order_release);  // publishes the job to spinning workers
  }
  cv_.notify_all();
  run_chunk(0);
  for (int i = 0; i < kSpins && pending_.load(std::memory_order_acquire) != 0; ++i) cpu_relax();
  std::exception_ptr first;
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
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
    bool ready = false;
    for (int i = 0; i < kSpins && !ready; ++i) {
      if (stop_.load(std::memory_order_acquire)) return;
      ready = generation_.load(std::memory_order_acquire) != seen;
      if (!ready) cpu_relax();
    }
    if (!ready) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_.load()) return;
    }
    // The caller starts no new job before this worker has finished this one: no generation
    // is skipped.
    seen = generation_.load(std::memory_order_acquire);
    run_chunk(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

}  // namespace edge::rt
