// The CUDA runtime API on host memory, for the emulated build. The device is an H100 as its
// properties go (sm_90, 132 SMs, 2,048 threads and 228 KiB of shared memory per SM), so that
// launch-geometry code takes its GPU paths. For tests of what a real machine may hold:
//   MIXDIM_EMULATED_DEVICES        how many there are ("2"), or each one's compute capability
//                                  ("6.0,9.0": device 0 then has no code in the build, as a Pascal)
//   MIXDIM_EMULATED_DEVICE_MEMORY  each device's memory in bytes (read at every cudaMalloc), so
//                                  that an allocation can fail as on a full GPU
//
// Device memory is malloc'd, so AddressSanitizer sees every kernel's and every copy's accesses.
// Each allocation remembers its device and size: copies are checked against the direction they
// claim, and cudaPointerGetAttributes answers as CUDA does.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "runtime_state.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#include "cuda_runtime.h"

namespace mixdim_emu {
namespace {

constexpr int kMaxDevices = 16;

constexpr int kDefaultCapability = 90;  // an H100
constexpr int kOldestBuiltCapability = 75;  // CMakeLists.txt builds sm_75 … sm_90

struct Allocation {
  size_t bytes;
  int device;
};

std::mutex state_mutex;
std::map<uintptr_t, Allocation> allocations;  // by base address
std::map<const void*, size_t> dynamic_shared_limits;
size_t allocated_bytes[kMaxDevices] = {};
thread_local int current_device = 0;
// CUDA keeps the last error per host thread.
thread_local cudaError_t last_error = cudaSuccess;
thread_local cudaError_t pending_fault = cudaSuccess;
thread_local std::string error_detail;

// How many devices MIXDIM_EMULATED_DEVICES asks for, and each one's compute capability (10·major +
// minor) in capabilities[] when given; -1 with *problem set when it is neither a count nor a list.
int device_count(std::string* problem, int* capabilities = nullptr) {
  const char* text = getenv("MIXDIM_EMULATED_DEVICES");
  if (text == nullptr || *text == '\0') text = "1";
  const std::string value = text;
  const auto bad = [&] {
    *problem = "MIXDIM_EMULATED_DEVICES=\"" + value + "\" is neither a device count in [0, " + std::to_string(kMaxDevices) +
               "] nor a list of compute capabilities such as 6.0,9.0";
    return -1;
  };
  if (value.find('.') == std::string::npos) {
    char* end = nullptr;
    const long count = strtol(text, &end, 10);
    if (*end != '\0' || count < 0 || count > kMaxDevices) return bad();
    for (int d = 0; capabilities != nullptr && d < count; ++d) capabilities[d] = kDefaultCapability;
    return static_cast<int>(count);
  }
  int count = 0;
  for (const char* item = text; *item != '\0';) {
    char* end = nullptr;
    const long major = strtol(item, &end, 10);
    if (*end != '.' || end == item) return bad();
    const char* minor_text = end + 1;
    const long minor = strtol(minor_text, &end, 10);
    if (end == minor_text || (*end != ',' && *end != '\0') || major < 1 || minor < 0 || minor > 9 || count == kMaxDevices) {
      return bad();
    }
    if (capabilities != nullptr) capabilities[count] = static_cast<int>(major * 10 + minor);
    ++count;
    item = *end == ',' ? end + 1 : end;
  }
  return count;
}

// The device's compute capability as 10·major + minor (the default H100's when the list is bad).
int device_capability(int device) {
  std::string problem;
  int capabilities[kMaxDevices];
  const int count = device_count(&problem, capabilities);
  return device >= 0 && device < count ? capabilities[device] : kDefaultCapability;
}

// MIXDIM_EMULATED_DEVICE_MEMORY, or an H100's 80 GiB.
size_t device_memory() {
  const char* text = getenv("MIXDIM_EMULATED_DEVICE_MEMORY");
  if (text == nullptr || *text == '\0') return size_t(80) << 30;
  return static_cast<size_t>(strtoull(text, nullptr, 10));
}

cudaError_t fail(cudaError_t error, const std::string& detail) {
  last_error = error;
  error_detail = detail;
  return error;
}

cudaError_t check_device(int device) {
  std::string problem;
  const int count = device_count(&problem);
  if (count < 0) return fail(cudaErrorInvalidValue, problem);
  if (count == 0) return fail(cudaErrorNoDevice, "MIXDIM_EMULATED_DEVICES=0: no emulated device");
  if (device < 0 || device >= count) {
    return fail(cudaErrorInvalidDevice, "device " + std::to_string(device) + " of " + std::to_string(count) + " emulated devices");
  }
  return cudaSuccess;
}

// The allocation holding [pointer, pointer + bytes), or null when no single allocation does.
const Allocation* device_range(const void* pointer, size_t bytes) {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(pointer);
  auto found = allocations.upper_bound(begin);
  if (found == allocations.begin()) return nullptr;
  --found;
  if (begin + bytes > found->first + found->second.bytes) return nullptr;
  return &found->second;
}

// A synchronising call returns a kernel fault left by an earlier launch, once.
cudaError_t take_fault() {
  const cudaError_t fault = pending_fault;
  pending_fault = cudaSuccess;
  if (fault != cudaSuccess) last_error = cudaSuccess;
  return fault;
}

}  // namespace

void set_launch_error(cudaError_t error, const std::string& detail) { fail(error, detail); }

bool launchable_on_current_device(const char* kernel, const void* const* pointers, size_t count) {
  const int capability = device_capability(current_device);
  if (capability < kOldestBuiltCapability) {
    fail(cudaErrorNoKernelImageForDevice, std::string(kernel) + " launched on device " + std::to_string(current_device) +
                                              " of compute capability " + std::to_string(capability / 10) + "." +
                                              std::to_string(capability % 10) + ", which the build has no code for");
    return false;
  }
  std::lock_guard<std::mutex> lock(state_mutex);
  for (size_t i = 0; i < count; ++i) {
    const Allocation* allocation = pointers[i] == nullptr ? nullptr : device_range(pointers[i], 1);
    if (allocation != nullptr && allocation->device != current_device) {
      // What the GPU would do: the kernel's access to another device's memory faults.
      set_fault(std::string(kernel) + " was given device " + std::to_string(allocation->device) +
                "'s memory (argument " + std::to_string(i) + ") while device " + std::to_string(current_device) +
                " is current");
      return false;
    }
  }
  return true;
}

void set_fault(const std::string& detail) {
  fprintf(stderr, "mixdim CUDA emulation: %s\n", detail.c_str());
  fail(cudaErrorLaunchFailure, detail);
  pending_fault = cudaErrorLaunchFailure;
}

void poison_other_devices(bool poisoned) {
#if defined(__SANITIZE_ADDRESS__)
  std::string problem;
  if (device_count(&problem) <= 1) return;
  std::lock_guard<std::mutex> lock(state_mutex);
  for (const auto& [base, allocation] : allocations) {
    if (allocation.device == current_device) continue;
    void* data = reinterpret_cast<void*>(base);
    if (poisoned) ASAN_POISON_MEMORY_REGION(data, allocation.bytes);
    else ASAN_UNPOISON_MEMORY_REGION(data, allocation.bytes);
  }
#else
  (void)poisoned;
#endif
}

size_t dynamic_shared_limit(const void* kernel) {
  std::lock_guard<std::mutex> lock(state_mutex);
  auto found = dynamic_shared_limits.find(kernel);
  return found == dynamic_shared_limits.end() ? kDefaultDynamicSharedBytes : found->second;
}

}  // namespace mixdim_emu

using namespace mixdim_emu;

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNoKernelImageForDevice: return "cudaErrorNoKernelImageForDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

// CUDA's text for the code, followed by what the emulation saw when this thread's last error was set.
const char* cudaGetErrorString(cudaError_t error) {
  const char* text = "unknown error";
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: text = "invalid argument"; break;
    case cudaErrorMemoryAllocation: text = "out of memory"; break;
    case cudaErrorInvalidConfiguration: text = "invalid configuration argument"; break;
    case cudaErrorInvalidDevicePointer: text = "invalid device pointer"; break;
    case cudaErrorInvalidMemcpyDirection: text = "invalid copy direction for memcpy"; break;
    case cudaErrorNoDevice: text = "no CUDA-capable device is detected"; break;
    case cudaErrorInvalidDevice: text = "invalid device ordinal"; break;
    case cudaErrorNoKernelImageForDevice: text = "no kernel image is available for execution on the device"; break;
    case cudaErrorInvalidResourceHandle: text = "invalid resource handle"; break;
    case cudaErrorIllegalAddress: text = "an illegal memory access was encountered"; break;
    case cudaErrorLaunchOutOfResources: text = "too many resources requested for launch"; break;
    case cudaErrorLaunchFailure: text = "unspecified launch failure"; break;
  }
  static thread_local std::string message;
  message = error_detail.empty() ? text : std::string(text) + " (emulated: " + error_detail + ")";
  return message.c_str();
}

cudaError_t cudaGetLastError() {
  const cudaError_t error = last_error;
  last_error = cudaSuccess;
  pending_fault = cudaSuccess;
  return error;
}

cudaError_t cudaPeekAtLastError() { return last_error; }

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: count is null");
  std::string problem;
  const int devices = device_count(&problem);
  if (devices < 0) return fail(cudaErrorInvalidValue, problem);
  *count = devices;
  if (devices == 0) return fail(cudaErrorNoDevice, "MIXDIM_EMULATED_DEVICES=0: no emulated device");
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  const cudaError_t status = check_device(device);
  if (status == cudaSuccess) current_device = device;
  return status;
}

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDevice: device is null");
  *device = current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (properties == nullptr) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: properties is null");
  const cudaError_t status = check_device(device);
  if (status != cudaSuccess) return status;
  *properties = cudaDeviceProp{};
  snprintf(properties->name, sizeof(properties->name), "NVIDIA H100 80GB HBM3 (emulated on the CPU)");
  properties->totalGlobalMem = device_memory();
  properties->sharedMemPerBlock = kDefaultDynamicSharedBytes;
  properties->sharedMemPerBlockOptin = kOptInSharedBytesPerBlock;
  properties->sharedMemPerMultiprocessor = 228 * 1024;
  properties->regsPerBlock = 65536;
  properties->regsPerMultiprocessor = 65536;
  properties->warpSize = 32;
  properties->maxThreadsPerBlock = kMaxThreadsPerBlock;
  properties->maxThreadsDim[0] = 1024;
  properties->maxThreadsDim[1] = 1024;
  properties->maxThreadsDim[2] = kMaxBlockDimZ;
  properties->maxGridSize[0] = static_cast<int>(kMaxGridDimX);
  properties->maxGridSize[1] = static_cast<int>(kMaxGridDimYZ);
  properties->maxGridSize[2] = static_cast<int>(kMaxGridDimYZ);
  properties->major = device_capability(device) / 10;
  properties->minor = device_capability(device) % 10;
  properties->multiProcessorCount = 132;
  properties->maxThreadsPerMultiProcessor = 2048;
  properties->maxBlocksPerMultiProcessor = 32;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device) {
  if (value == nullptr) return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: value is null");
  cudaDeviceProp properties;
  const cudaError_t status = cudaGetDeviceProperties(&properties, device);
  if (status != cudaSuccess) return status;
  switch (attribute) {
    case cudaDevAttrMaxThreadsPerBlock: *value = properties.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(properties.sharedMemPerBlock); break;
    case cudaDevAttrWarpSize: *value = properties.warpSize; break;
    case cudaDevAttrMultiProcessorCount: *value = properties.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = properties.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = properties.minor; break;
    case cudaDevAttrMaxThreadsPerMultiProcessor: *value = properties.maxThreadsPerMultiProcessor; break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *value = static_cast<int>(properties.sharedMemPerMultiprocessor); break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(properties.sharedMemPerBlockOptin); break;
    default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute " + std::to_string(attribute) + " is not emulated");
  }
  return cudaSuccess;
}

// Kernels run when they are launched, so this only reports a fault one of them left.
cudaError_t cudaDeviceSynchronize() { return take_fault(); }

cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  if (pointer == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc: pointer is null");
  const cudaError_t status = check_device(current_device);
  if (status != cudaSuccess) return status;
  *pointer = nullptr;
  if (bytes == 0) return cudaSuccess;
  std::lock_guard<std::mutex> lock(state_mutex);
  if (allocated_bytes[current_device] + bytes > device_memory()) {
    return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes with " +
                                               std::to_string(allocated_bytes[current_device]) + " of the device's " +
                                               std::to_string(device_memory()) + " in use");
  }
  void* data = malloc(bytes);
  if (data == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes");
  allocations[reinterpret_cast<uintptr_t>(data)] = Allocation{bytes, current_device};
  allocated_bytes[current_device] += bytes;
  *pointer = data;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(state_mutex);
  auto found = allocations.find(reinterpret_cast<uintptr_t>(pointer));
  if (found == allocations.end()) return fail(cudaErrorInvalidValue, "cudaFree of a pointer cudaMalloc did not return");
  allocated_bytes[found->second.device] -= found->second.bytes;
  allocations.erase(found);
  free(pointer);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const cudaError_t fault = take_fault();
  if (fault != cudaSuccess) return fault;
  if (bytes == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) return fail(cudaErrorInvalidValue, "cudaMemcpy with a null pointer");
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    const bool dst_on_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_on_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return fail(cudaErrorInvalidMemcpyDirection, "cudaMemcpy kind");
    if (dst_on_device && device_range(dst, bytes) == nullptr) {
      return fail(cudaErrorInvalidValue, "cudaMemcpy: the destination's " + std::to_string(bytes) + " bytes are not within one device allocation");
    }
    if (src_on_device && device_range(src, bytes) == nullptr) {
      return fail(cudaErrorInvalidValue, "cudaMemcpy: the source's " + std::to_string(bytes) + " bytes are not within one device allocation");
    }
  }
  memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

cudaError_t cudaMemset(void* pointer, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    if (device_range(pointer, bytes) == nullptr) {
      return fail(cudaErrorInvalidValue, "cudaMemset: " + std::to_string(bytes) + " bytes not within one device allocation");
    }
  }
  memset(pointer, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* pointer, int value, size_t bytes, cudaStream_t) { return cudaMemset(pointer, value, bytes); }

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* pointer) {
  if (attributes == nullptr) return fail(cudaErrorInvalidValue, "cudaPointerGetAttributes: attributes is null");
  std::lock_guard<std::mutex> lock(state_mutex);
  const Allocation* allocation = device_range(pointer, 1);
  if (allocation == nullptr) {
    *attributes = cudaPointerAttributes{cudaMemoryTypeUnregistered, -2, nullptr, const_cast<void*>(pointer)};
  } else {
    *attributes = cudaPointerAttributes{cudaMemoryTypeDevice, allocation->device, const_cast<void*>(pointer), nullptr};
  }
  return cudaSuccess;
}

// Streams and events: handles with CUDA's protocol; the work they would order has already run.
struct mixdim_emu_stream {};
struct mixdim_emu_event {
  std::chrono::steady_clock::time_point recorded;
  bool has_recorded = false;
};

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  if (stream == nullptr) return fail(cudaErrorInvalidValue, "cudaStreamCreate: stream is null");
  *stream = new mixdim_emu_stream();
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return take_fault(); }

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  if (event == nullptr) return fail(cudaErrorInvalidValue, "cudaEventCreate: event is null");
  *event = new mixdim_emu_event();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  if (event == nullptr) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: event is null");
  event->recorded = std::chrono::steady_clock::now();
  event->has_recorded = true;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (event == nullptr) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: event is null");
  return take_fault();
}

cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end) {
  if (milliseconds == nullptr || start == nullptr || end == nullptr || !start->has_recorded || !end->has_recorded) {
    return fail(cudaErrorInvalidValue, "cudaEventElapsedTime needs two recorded events");
  }
  *milliseconds = std::chrono::duration<float, std::milli>(end->recorded - start->recorded).count();
  return cudaSuccess;
}

cudaError_t mixdim_emu_func_set_attribute(const void* kernel, cudaFuncAttribute attribute, int value) {
  if (attribute != cudaFuncAttributeMaxDynamicSharedMemorySize) {
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: attribute " + std::to_string(attribute) + " is not emulated");
  }
  if (value < 0 || static_cast<size_t>(value) > kOptInSharedBytesPerBlock) {
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: " + std::to_string(value) + " bytes of dynamic shared memory exceed the 227 KiB per block");
  }
  std::lock_guard<std::mutex> lock(state_mutex);
  dynamic_shared_limits[kernel] = static_cast<size_t>(value);
  return cudaSuccess;
}

int mixdim_emu_resident_blocks(int block_size) {
  const int by_threads = 2048 / block_size;
  return by_threads < 1 ? 1 : (by_threads > 32 ? 32 : by_threads);
}
