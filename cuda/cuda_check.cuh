// Turns a failed CUDA call into std::runtime_error naming the operation, so every call site
// is one line and no error code is dropped. Launches are checked with cudaGetLastError,
// which also clears a launch-configuration error so it is not reported twice.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace mixdim {
namespace cuda {

inline void check(cudaError_t status, const char* operation) {
  if (status != cudaSuccess) {
    // A failed call also leaves its error as the thread's last error, which the next launch check
    // would report as its own (a cudaMalloc out of memory, say, as "lookup failed"): reported here, it is cleared.
    cudaGetLastError();
    throw std::runtime_error(std::string("CUDA ") + operation + " failed: " + cudaGetErrorString(status));
  }
}

inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace cuda
}  // namespace mixdim
