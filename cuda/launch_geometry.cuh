// How the store's kernels lay threads over rows.
//
// A group of `width` lanes (a power of two up to 32, so a group never straddles a warp) owns one
// row at a time, and each lane moves W consecutive floats per access (float4, float2 or float).
// Groups walk the rows with a grid-stride loop, and the grid is capped at what the device keeps
// resident, so a launch never queues more blocks than can run at once (FBGEMM TBE forward).
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#include <initializer_list>

#include "cuda_check.cuh"

namespace mixdim {
namespace cuda {

constexpr int kBlockThreads = 256;

// The device's size, read once by the backend.
struct LaunchShape {
  int sm_count;
  int threads_per_sm;
};

// Blocks of kBlockThreads for `threads` threads in total, capped at what stays resident for this
// kernel (its registers decide how many blocks fit an SM), so a grid-stride launch runs in one wave.
template <typename Kernel>
unsigned int grid_blocks(Kernel kernel, int64_t threads, const LaunchShape& shape) {
  int per_sm = 0;
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kBlockThreads, 0),
        "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  const int64_t resident = static_cast<int64_t>(shape.sm_count) * (per_sm > 0 ? per_sm : 1);
  const int64_t wanted = (threads + kBlockThreads - 1) / kBlockThreads;
  if (wanted < 1) return 1;
  return static_cast<unsigned int>(wanted < resident ? wanted : resident);
}

// The widest access (4, 2 or 1 floats) that divides `stride` and keeps every base aligned:
// then element j of row b, at base + b·stride + j with j a multiple of W, is W-aligned.
inline int vector_width(int64_t stride, std::initializer_list<const void*> bases) {
  for (int w = 4; w > 1; w /= 2) {
    bool aligned = stride % w == 0;
    for (const void* base : bases) {
      aligned = aligned && reinterpret_cast<uintptr_t>(base) % (w * sizeof(float)) == 0;
    }
    if (aligned) return w;
  }
  return 1;
}

// Lanes per row: one access per lane across max_dim floats, rounded up to a power of two, at most a warp.
inline int group_width(int64_t max_dim, int vector) {
  const int64_t accesses = (max_dim + vector - 1) / vector;
  int width = 1;
  while (width < 32 && width < accesses) width *= 2;
  return width;
}

// This thread's place in the grid-stride walk: lane within its group, the group's first row, the stride.
struct GroupLayout {
  int lane;
  int64_t first;
  int64_t stride;
};

__device__ __forceinline__ GroupLayout group_layout(int width) {
  const int shift = __ffs(width) - 1;  // width is a power of two: shifts, not 64-bit divisions
  const int64_t thread = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t threads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  return GroupLayout{static_cast<int>(thread & (width - 1)), thread >> shift, threads >> shift};
}

}  // namespace cuda
}  // namespace mixdim
