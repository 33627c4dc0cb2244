// What CUDA device code sees, for g++: the execution-space keywords, the built-in coordinates,
// __syncthreads, warp shuffles, atomics and the intrinsics mixdim's kernels call.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "execution.h"

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __grid_constant__
// The launch rewriter moves each kernel's bound into kernel_entry(); headers keep none.
#define __launch_bounds__(...)

#define threadIdx (::mixdim_emu::current->thread)
#define blockIdx (::mixdim_emu::current->block)
#define blockDim (::mixdim_emu::current->block_dim)
#define gridDim (::mixdim_emu::current->grid_dim)
constexpr int warpSize = 32;

#define __syncthreads() ::mixdim_emu::syncthreads(__FILE__, __LINE__)

namespace mixdim_emu {

template <typename T>
T shuffle_value(ShuffleMode mode, unsigned int mask, T value, int b, int width, const char* file, int line) {
  static_assert(sizeof(T) <= sizeof(uint64_t) && std::is_trivially_copyable<T>::value, "shuffles move up to 8 bytes");
  uint64_t bits = 0;
  memcpy(&bits, &value, sizeof(T));
  bits = shuffle(mode, mask, bits, b, width, file, line);
  T result;
  memcpy(&result, &bits, sizeof(T));
  return result;
}

}  // namespace mixdim_emu

#define __shfl_sync(mask, value, lane, ...) \
  ::mixdim_emu::shuffle_value(::mixdim_emu::ShuffleMode::index, mask, value, lane, MIXDIM_EMU_WIDTH(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_up_sync(mask, value, delta, ...) \
  ::mixdim_emu::shuffle_value(::mixdim_emu::ShuffleMode::up, mask, value, delta, MIXDIM_EMU_WIDTH(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_down_sync(mask, value, delta, ...) \
  ::mixdim_emu::shuffle_value(::mixdim_emu::ShuffleMode::down, mask, value, delta, MIXDIM_EMU_WIDTH(__VA_ARGS__), __FILE__, __LINE__)
#define __shfl_xor_sync(mask, value, lane_mask, ...) \
  ::mixdim_emu::shuffle_value(::mixdim_emu::ShuffleMode::xor_, mask, value, lane_mask, MIXDIM_EMU_WIDTH(__VA_ARGS__), __FILE__, __LINE__)
// The optional width argument, warpSize when it is left out.
#define MIXDIM_EMU_WIDTH(...) (::mixdim_emu::width_or_warp(0, ##__VA_ARGS__))
namespace mixdim_emu {
inline int width_or_warp(int) { return warpSize; }
inline int width_or_warp(int, int width) { return width; }
}  // namespace mixdim_emu

// Fibers switch only at barriers, so a read-modify-write is atomic here as on the device.
template <typename T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <typename T>
T atomicMin(T* address, T value) {
  const T old = *address;
  if (value < old) *address = value;
  return old;
}
template <typename T>
T atomicMax(T* address, T value) {
  const T old = *address;
  if (value > old) *address = value;
  return old;
}
template <typename T>
T atomicExch(T* address, T value) {
  const T old = *address;
  *address = value;
  return old;
}
template <typename T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

// The read-only cache path is an ordinary load.
template <typename T>
inline T __ldg(const T* address) {
  return *address;
}

inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
// Round-to-nearest arithmetic; the build has no FMA contraction (-ffp-contract=off), as nvcc --fmad=false.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }

// CUDA's math API overloads min and max for every arithmetic type, in the global namespace.
#define MIXDIM_EMU_MIN_MAX(T)                       \
  inline T min(T a, T b) { return b < a ? b : a; } \
  inline T max(T a, T b) { return a < b ? b : a; }
MIXDIM_EMU_MIN_MAX(int)
MIXDIM_EMU_MIN_MAX(unsigned int)
MIXDIM_EMU_MIN_MAX(long)
MIXDIM_EMU_MIN_MAX(unsigned long)
MIXDIM_EMU_MIN_MAX(long long)
MIXDIM_EMU_MIN_MAX(unsigned long long)
#undef MIXDIM_EMU_MIN_MAX
