// A fixed pool of worker threads for the CPU kernels.
//
// parallel_for splits [0, n) into chunks of at least `grain` items; the calling thread
// works too and returns only when every chunk is done, so kernels stay synchronous and
// JS-owned buffers stay alive (and referenced) for the whole call.
//
// A training step is a chain of kernels of 20–500 µs with a little JavaScript between them.
// A worker that slept on the condition variable after each one took tens of microseconds to
// wake for the next, so the calling thread did most chunks alone; workers therefore spin for
// kSpinMicroseconds after a job before they sleep, and the caller signals only sleeping ones.
// Likewise the caller, its own chunks done, spins up to kSpinMicroseconds for the workers' last
// chunks before it sleeps on the condition variable.
#pragma once

#include <stdint.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mixdim {

class ThreadPool {
 public:
  using RangeFn = std::function<void(int64_t begin, int64_t end)>;

  // The process-wide pool, sized from MIXDIM_THREADS or the hardware's thread count.
  static ThreadPool& instance();

  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  void set_threads(int threads);
  void parallel_for(int64_t n, int64_t grain, const RangeFn& fn);

 private:
  explicit ThreadPool(int threads);
  void start_workers(int count);
  void stop_workers();
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // Read by spinning workers without the lock; written under it.
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
  // Written under mutex_; the caller of parallel_for also reads it spinning, without the lock.
  std::atomic<int> busy_workers_{0};
  int sleeping_workers_ = 0;

  // The job in flight: chunks are claimed under mutex_, which is cheap next to a chunk.
  const RangeFn* job_ = nullptr;
  int64_t job_size_ = 0;
  int64_t chunk_size_ = 0;
  int64_t next_begin_ = 0;
};

}  // namespace mixdim
