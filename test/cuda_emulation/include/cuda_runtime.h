// The CUDA runtime API for the emulated build (test infrastructure, never shipped): the calls
// mixdim makes, on host memory, with an emulated H100 as the device. Put ahead of CUDA's own
// headers on the include path; cuda/ compiles against it unchanged, after the launch rewriter
// (test/cuda_emulation/rewrite_launches.mjs) has turned each <<<...>>> into a Launch.
#pragma once

#include <stddef.h>

#include "mixdim_emu/device.h"
#include "mixdim_emu/launch.h"
#include "mixdim_emu/types.h"

const char* cudaGetErrorString(cudaError_t error);
const char* cudaGetErrorName(cudaError_t error);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();

// MIXDIM_EMULATED_DEVICES devices (default 1), each an H100 as its properties go.
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device);
cudaError_t cudaDeviceSynchronize();

cudaError_t cudaMalloc(void** pointer, size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** pointer, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* pointer, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* pointer, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* pointer);

// Work runs when it is issued, so streams and events only keep CUDA's calling protocol.
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end);

cudaError_t mixdim_emu_func_set_attribute(const void* kernel, cudaFuncAttribute attribute, int value);
template <typename... Params>
cudaError_t cudaFuncSetAttribute(void (*kernel)(Params...), cudaFuncAttribute attribute, int value) {
  return mixdim_emu_func_set_attribute(reinterpret_cast<const void*>(kernel), attribute, value);
}

// No registers to run out of: an SM holds as many blocks as its threads allow (at most 32).
int mixdim_emu_resident_blocks(int block_size);
template <typename Kernel>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, Kernel, int block_size, size_t dynamic_shared_bytes) {
  (void)dynamic_shared_bytes;
  if (blocks == nullptr || block_size <= 0) return cudaErrorInvalidValue;
  *blocks = mixdim_emu_resident_blocks(block_size);
  return cudaSuccess;
}
