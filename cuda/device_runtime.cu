// The CUDA runtime behind cuda/device_runtime.h. cudart is linked statically, so on a machine with
// no driver or no GPU the addon still loads: devices() then reports why there are none, asking the
// driver first (nvidia_driver.cu) and cudart after, instead of failing.
#include <cuda_runtime.h>

#include <string>

#include "cuda_check.cuh"
#include "device_runtime.h"
#include "nvidia_driver.h"

namespace mixdim {
namespace cuda {

namespace {

// The oldest architecture the build carries SASS for (CMakeLists.txt: 75-real … 90-real, compute_90 PTX).
constexpr int kMinComputeCapability = 75;

}  // namespace

bool compiled_in() { return true; }

void make_current(int device) { check(cudaSetDevice(device), "cudaSetDevice"); }

std::vector<DeviceInfo> devices(std::string* reason) {
  const std::string& driver_problem = nvidia_driver_problem();
  if (!driver_problem.empty()) {
    *reason = driver_problem;
    return {};
  }
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // the failure is reported here, not left for the next call to trip on
    *reason = cudaGetErrorString(status);
    return {};
  }
  std::vector<DeviceInfo> found;
  std::string skipped;
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    cudaDeviceProp properties;
    const cudaError_t query = cudaGetDeviceProperties(&properties, ordinal);
    if (query != cudaSuccess) {
      cudaGetLastError();
      skipped += "device " + std::to_string(ordinal) + ": " + cudaGetErrorString(query) + "; ";
      continue;
    }
    if (properties.major * 10 + properties.minor < kMinComputeCapability) {
      skipped += "device " + std::to_string(ordinal) + " (" + properties.name + ") has compute capability " +
                 std::to_string(properties.major) + "." + std::to_string(properties.minor) +
                 ", below the 7.5 that mixdim's kernels are built for; ";
      continue;
    }
    found.push_back(DeviceInfo{ordinal, properties.name, static_cast<int64_t>(properties.totalGlobalMem),
                               properties.major, properties.minor});
  }
  if (found.empty()) {
    *reason = count == 0 ? std::string("no CUDA device found") : skipped.substr(0, skipped.size() - 2);
  } else {
    reason->clear();
  }
  return found;
}

void* allocate(int device, int64_t bytes) {
  if (bytes <= 0) return nullptr;
  make_current(device);
  void* data = nullptr;
  check(cudaMalloc(&data, static_cast<size_t>(bytes)), "cudaMalloc");
  return data;
}

// Never throws: it runs from destructors and garbage-collector finalizers, where an exception would
// end the process, and a failed free (after a sticky kernel fault, or at exit once the runtime is
// unloading) leaves nothing for the caller to do.
void release(int device, void* data) {
  if (data == nullptr) return;
  if (cudaSetDevice(device) == cudaSuccess) cudaFree(data);
  cudaGetLastError();
}

void copy_to_device(int device, void* dst, const void* host_src, int64_t bytes) {
  if (bytes <= 0) return;
  make_current(device);
  check(cudaMemcpy(dst, host_src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice), "cudaMemcpy (host to device)");
}

void copy_to_host(int device, void* host_dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  make_current(device);
  check(cudaMemcpy(host_dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost), "cudaMemcpy (device to host)");
}

void copy_on_device(int device, void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  make_current(device);
  check(cudaMemcpy(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice), "cudaMemcpy (device to device)");
  // A device-to-device cudaMemcpy may return before the copy ends; JavaScript sees it done.
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize (after a device-to-device copy)");
}

}  // namespace cuda
}  // namespace mixdim
