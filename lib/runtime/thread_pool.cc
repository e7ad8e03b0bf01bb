#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace edge::rt {

namespace {
thread_local bool t_in_pool_chunk = false;

void chunk(int64_t n, int parts, int index, int64_t* b, int64_t* e) {
  int64_t base = n / parts, rem = n % parts;
  *b = index * base + std::min<int64_t>(index, rem);
  *e = *b + base + (index < rem ? 1 : 0);
}

// A hint to the core that this is a spin-wait loop (frees the pipeline for a sibling
// hyperthread, saves power).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}
}  // namespace

template <typename Pred>
bool ThreadPool::spin_until(Pred pred) const {
  if (pred()) return true;
  if (spin_us_ <= 0) return false;
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + std::chrono::microseconds(spin_us_);
  for (;;) {
    for (int i = 0; i < 64; ++i) {  // check the clock every 64 pauses
      if (pred()) return true;
      cpu_relax();
    }
    if (Clock::now() >= end) return pred();
  }
}

namespace {
// More threads than cores: a spinning thread would hold a core another thread of the pool
// needs, so such a pool never spins.
int spin_for(int threads, int spin_us) {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 && static_cast<unsigned>(threads) > cores ? 0 : std::max(spin_us, 0);
}
}  // namespace

ThreadPool::ThreadPool(int threads, int spin_us) : spin_us_(spin_for(threads, spin_us)) {
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
    for (auto& e : errors_) e = nullptr;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();  // no system call when every worker is still spinning
  run_chunk(0);
  if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
  std::exception_ptr first;
  {
    std::lock_guard<std::mutex> lock(mu_);
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
  const auto ready = [&] {
    return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
  };
  for (;;) {
    if (!spin_until(ready)) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, ready);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    run_chunk(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The caller may be asleep on done_cv_: notify under mu_ so the wake-up cannot fall
      // between its check of pending_ and its wait.
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

}  // namespace edge::rt
