#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mixdim {

namespace {

// How long a worker waits for the next job before it sleeps (see thread_pool.h).
constexpr int64_t kSpinMicroseconds = 100;

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

int default_thread_count() {
  if (const char* env = std::getenv("MIXDIM_THREADS")) {
    const int requested = std::atoi(env);
    if (requested > 0) return requested;
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? static_cast<int>(hardware) : 1;
}
}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(default_thread_count());
  return pool;
}

ThreadPool::ThreadPool(int threads) { start_workers(threads - 1); }

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::set_threads(int threads) {
  stop_workers();
  start_workers(std::max(threads, 1) - 1);
}

void ThreadPool::start_workers(int count) {
  stopping_ = false;
  for (int i = 0; i < count; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void ThreadPool::run_chunks() {
  for (;;) {
    int64_t begin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_begin_ >= job_size_) return;
      begin = next_begin_;
      next_begin_ += chunk_size_;
    }
    (*job_)(begin, std::min(begin + chunk_size_, job_size_));
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen_generation = 0;
  for (;;) {
    // Spin a little: the next kernel usually follows within microseconds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
    while (generation_.load(std::memory_order_acquire) == seen_generation &&
           std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < 64; ++i) cpu_relax();
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleeping_workers_;
      work_ready_.wait(lock, [&] { return stopping_ || generation_.load(std::memory_order_relaxed) != seen_generation; });
      --sleeping_workers_;
      if (stopping_) return;
      seen_generation = generation_.load(std::memory_order_relaxed);
      ++busy_workers_;
    }
    run_chunks();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_workers_;
    }
    work_done_.notify_all();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const RangeFn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (workers_.empty() || n <= grain) {
    fn(0, n);
    return;
  }
  // About four chunks per thread balances skewed work (hot rows) without much locking.
  const int64_t chunk = std::max(grain, (n + threads() * 4 - 1) / (threads() * 4));
  bool sleepers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_size_ = n;
    chunk_size_ = chunk;
    next_begin_ = 0;
    generation_.fetch_add(1, std::memory_order_release);
    sleepers = sleeping_workers_ > 0;
  }
  if (sleepers) work_ready_.notify_all();
  run_chunks();
  // Every chunk is claimed; the workers' last ones usually end within microseconds. Wait for them
  // spinning first: sleeping on work_done_ and being woken costs tens of microseconds here, about
  // as much as a batch-sized kernel.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
  while (busy_workers_.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 16; ++i) cpu_relax();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  work_done_.wait(lock, [&] { return busy_workers_.load(std::memory_order_relaxed) == 0 && next_begin_ >= job_size_; });
  job_ = nullptr;
}

}  // namespace mixdim
