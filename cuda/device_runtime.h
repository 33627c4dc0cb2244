// The CUDA runtime as the rest of the addon sees it: plain C++ declarations, no CUDA headers.
//
// cuda/device_runtime.cu implements these with cudart (linked statically, so the addon loads
// where no CUDA library is installed). A build without nvcc compiles native/no_cuda_runtime.cc
// instead, where every device call reports that CUDA was not compiled in.
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "../native/store_backend.h"

namespace mixdim {
namespace cuda {

struct DeviceInfo {
  int ordinal;
  std::string name;
  int64_t total_memory;
  int compute_major;
  int compute_minor;
};

bool compiled_in();
// The devices found; when there are none, *reason says why (no driver, no device, not compiled in).
std::vector<DeviceInfo> devices(std::string* reason);

// These throw std::runtime_error with the CUDA error's text on failure...
void* allocate(int device, int64_t bytes);
// ...except release, which destructors and GC finalizers call, where a throw would end the process.
void release(int device, void* data);
void copy_to_device(int device, void* dst, const void* host_src, int64_t bytes);
void copy_to_host(int device, void* host_dst, const void* src, int64_t bytes);
void copy_on_device(int device, void* dst, const void* src, int64_t bytes);
// Makes `device` the one that CUDA calls on this thread launch on.
void make_current(int device);

std::unique_ptr<StoreBackend> make_store_backend(int device);

}  // namespace cuda
}  // namespace mixdim
