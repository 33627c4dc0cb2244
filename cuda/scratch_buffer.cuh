// Device memory that a backend keeps between calls and grows on demand, so that a training
// step (sort buffers, staging for host arrays) does not cudaMalloc each time.
//
// Contents are not kept when it grows: it holds per-call temporaries only. It grows by at least
// half again, so a slowly rising batch size costs O(log) reallocations. The owner sets the
// device before using it; the destructor frees without throwing (the runtime may already be
// unloading at process exit).
#pragma once

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include "cuda_check.cuh"

namespace mixdim {
namespace cuda {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ~ScratchBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  // At least `count` elements of T; earlier contents are lost if it had to grow.
  template <typename T>
  T* reserve(int64_t count) {
    return static_cast<T*>(reserve_bytes(static_cast<size_t>(count) * sizeof(T)));
  }

  void* reserve_bytes(size_t bytes) {
    if (bytes <= bytes_ && data_ != nullptr) return data_;
    const size_t grown = bytes_ + bytes_ / 2;
    const size_t target = bytes > grown ? bytes : grown;
    if (data_ != nullptr) {
      void* old = data_;
      data_ = nullptr;
      bytes_ = 0;
      check(cudaFree(old), "cudaFree (scratch)");
    }
    check(cudaMalloc(&data_, target > 0 ? target : 1), "cudaMalloc (scratch)");
    bytes_ = target;
    return data_;
  }

  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cuda
}  // namespace mixdim
