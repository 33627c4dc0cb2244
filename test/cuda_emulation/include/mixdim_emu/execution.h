// The execution model of the emulated CUDA build: what device code calls into.
//
// A launch runs its blocks one after another on the calling OS thread. A block's threads are
// cooperative fibers (test/cuda_emulation/execution.cc): a thread runs until it reaches a barrier
// (__syncthreads, or a warp operation), exits, or breaks a rule, and the scheduler then runs the
// next ready thread in the configured order (MIXDIM_EMULATED_THREAD_ORDER).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "types.h"

namespace mixdim_emu {

// The running thread's coordinates; threadIdx and friends read these.
struct Coordinates {
  uint3 thread;
  uint3 block;
  dim3 block_dim;
  dim3 grid_dim;
};
extern const Coordinates* current;

// What a launch runs: invoke(context) is one thread's call of the kernel with the launch's arguments.
struct KernelCall {
  const char* name;
  void (*invoke)(void* context);
  void* context;
};

// Checks the geometry as the hardware does and runs every thread of every block; the error is
// also left for cudaGetLastError / the next synchronising call, as CUDA reports it.
void launch(const KernelCall& call, dim3 grid, dim3 block, size_t dynamic_shared_bytes, cudaStream_t stream);

// Whether a kernel can run on the current device with these pointer arguments, as a GPU without
// peer access decides it: the device must be one the build has code for (compute capability 7.5
// or newer), and a pointer into another device's memory faults. Sets the error when not.
bool launchable_on_current_device(const char* kernel, const void* const* pointers, size_t count);

// Every kernel's first statement (inserted by the launch rewriter): reports the kernel's
// __launch_bounds__ (0 when it has none), its address (which cudaFuncSetAttribute names it by) and
// its name to the launch, which checks them before any thread runs. With MIXDIM_EMULATED_LAUNCH_LOG
// set, each kernel name and block size launched is appended to that file once per process, for the
// compile-time resource check (scripts/check-cuda-resources.mjs).
void kernel_entry(int max_threads_per_block, const void* kernel, const char* name);

// The block barrier: returns once every live thread of the block has reached the same barrier.
void syncthreads(const char* file, int line);

// A warp-scoped exchange of up to 8 bytes, as PTX shfl.sync: `mode` picks the source lane from `b`.
enum class ShuffleMode { index, up, down, xor_ };
uint64_t shuffle(ShuffleMode mode, unsigned int mask, uint64_t bits, int b, int width, const char* file, int line);

// Per-block shared memory. A static __shared__ array (one per declaration `site`) is allocated on
// the heap at its first use in a block, exactly `bytes` long so that AddressSanitizer sees every
// overrun, and filled with 0xff bytes (NaN for floats, -1 for integers) so that reading an element
// nobody wrote shows up. It is freed when the block ends.
void* shared_array(const char* site, size_t bytes, size_t alignment);
// The launch's dynamic shared memory (extern __shared__), sized as the launch asked, filled the same way.
void* dynamic_shared();

}  // namespace mixdim_emu
