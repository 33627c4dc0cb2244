// Launch helpers for the elementwise and row-wise op kernels: a grid-stride loop over n items
// with a grid capped at a few waves, and the synchronous finish every op promises JS.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda_check.cuh"

namespace mixdim {
namespace cuda {

constexpr int kElementwiseThreads = 256;
// Enough blocks to fill any current GPU several times over; grid-stride loops cover the rest.
constexpr int64_t kMaxElementwiseBlocks = 8192;

inline unsigned int elementwise_blocks(int64_t n) {
  const int64_t wanted = (n + kElementwiseThreads - 1) / kElementwiseThreads;
  return static_cast<unsigned int>(wanted < 1 ? 1 : (wanted < kMaxElementwiseBlocks ? wanted : kMaxElementwiseBlocks));
}

__device__ __forceinline__ int64_t grid_thread() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Checks the launch and waits for it: ops are synchronous, so their buffers are free on return.
inline void finish(const char* kernel) {
  check_launch(kernel);
  check(cudaDeviceSynchronize(), kernel);
}

}  // namespace cuda
}  // namespace mixdim
