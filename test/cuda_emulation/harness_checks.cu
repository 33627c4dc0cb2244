// Checks of the CUDA emulation itself (test/cuda_emulation), as CUDA source: the emulated build
// compiles this through the launch rewriter into build-emulated/build/emulation_checks, and
// test/cuda_emulation/harness.test.ts runs it. Each check prints "ok NAME" or "FAIL NAME: why".
// Expected values are worked out on the host from CUDA's documented semantics, not from the harness.
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cub/cub.cuh>
#include <string>
#include <vector>

namespace {

int failures = 0;

void report(const char* name, bool ok, const std::string& why = "") {
  if (ok) {
    printf("ok %s\n", name);
  } else {
    printf("FAIL %s: %s\n", name, why.c_str());
    ++failures;
  }
}

template <typename T>
T* device_array(size_t n) {
  T* data = nullptr;
  cudaMalloc(&data, n * sizeof(T));
  return data;
}

template <typename T>
std::vector<T> to_host(const T* data, size_t n) {
  std::vector<T> host(n);
  cudaMemcpy(host.data(), data, n * sizeof(T), cudaMemcpyDeviceToHost);
  return host;
}

// The error a faulting launch leaves, with its message, as the next synchronising call reports it.
std::string fault_after_launch() {
  const cudaError_t status = cudaDeviceSynchronize();
  return status == cudaSuccess ? std::string("no fault") : std::string(cudaGetErrorString(status));
}

__global__ void coordinates_kernel(int* out) {
  const int block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const int thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const int threads = blockDim.x * blockDim.y * blockDim.z;
  out[block * threads + thread] = (blockIdx.x << 20) | (blockIdx.y << 16) | (threadIdx.x << 8) | (threadIdx.y << 4) | threadIdx.z;
}

void check_coordinates() {
  const dim3 grid(3, 2), block(4, 2, 2);
  int* out = device_array<int>(6 * 16);
  coordinates_kernel<<<grid, block>>>(out);
  const std::vector<int> host = to_host(out, 6 * 16);
  bool ok = cudaGetLastError() == cudaSuccess;
  for (int by = 0; by < 2; ++by)
    for (int bx = 0; bx < 3; ++bx)
      for (int tz = 0; tz < 2; ++tz)
        for (int ty = 0; ty < 2; ++ty)
          for (int tx = 0; tx < 4; ++tx) {
            const int index = (bx + 3 * by) * 16 + tx + 4 * (ty + 2 * tz);
            ok = ok && host[index] == ((bx << 20) | (by << 16) | (tx << 8) | (ty << 4) | tz);
          }
  report("threadIdx, blockIdx, blockDim and gridDim", ok);
  cudaFree(out);
}

// Σ t over 256 threads by a shared-memory tree with a barrier per level.
__global__ void block_sum_kernel(int* out) {
  __shared__ int partial[256];
  partial[threadIdx.x] = threadIdx.x;
  __syncthreads();
  for (int stride = 128; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = partial[0];
}

// Threads from 100 on return at once; the barrier then waits only for the others.
__global__ void early_exit_kernel(int* out) {
  __shared__ int values[100];
  if (threadIdx.x >= 100) return;
  values[threadIdx.x] = threadIdx.x;
  __syncthreads();
  if (threadIdx.x == 0) {
    int sum = 0;
    for (int i = 0; i < 100; ++i) sum += values[i];
    *out = sum;
  }
}

void check_barriers() {
  int* out = device_array<int>(1);
  block_sum_kernel<<<1, 256>>>(out);
  report("__syncthreads orders a block reduction", cudaDeviceSynchronize() == cudaSuccess && to_host(out, 1)[0] == 255 * 256 / 2);
  early_exit_kernel<<<1, 256>>>(out);
  report("threads that return drop out of __syncthreads", cudaDeviceSynchronize() == cudaSuccess && to_host(out, 1)[0] == 99 * 100 / 2);
  cudaFree(out);
}

// Even and odd threads wait at two different barriers.
__global__ void divergent_barrier_kernel() {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
}

// Thread 0 waits at the block barrier while the rest of its warp waits for it in a shuffle.
__global__ void barrier_against_shuffle_kernel(int* out) {
  if (threadIdx.x == 0) {
    __syncthreads();
  } else {
    out[threadIdx.x] = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x), 0);
  }
}

void check_divergence() {
  divergent_barrier_kernel<<<1, 64>>>();
  std::string fault = fault_after_launch();
  report("a divergent __syncthreads is reported, naming the kernel",
         fault.find("divergent barrier") != std::string::npos && fault.find("divergent_barrier_kernel") != std::string::npos, fault);
  int* out = device_array<int>(32);
  barrier_against_shuffle_kernel<<<1, 32>>>(out);
  fault = fault_after_launch();
  report("a barrier some threads never reach is reported", fault.find("divergent barrier") != std::string::npos, fault);
  report("the fault is reported once", cudaDeviceSynchronize() == cudaSuccess && cudaGetLastError() == cudaSuccess);
  cudaFree(out);
}

struct ShuffleCase {
  const char* name;
  int mode;  // 0 index, 1 up, 2 down, 3 xor
  int b;
  int width;
};

__global__ void shuffle_kernel(int mode, int b, int width, int* out) {
  const int value = 1000 + threadIdx.x;
  int result = 0;
  if (mode == 0) result = __shfl_sync(0xffffffffu, value, b, width);
  if (mode == 1) result = __shfl_up_sync(0xffffffffu, value, b, width);
  if (mode == 2) result = __shfl_down_sync(0xffffffffu, value, b, width);
  if (mode == 3) result = __shfl_xor_sync(0xffffffffu, value, b, width);
  out[threadIdx.x] = result;
}

// The lane whose value lane `lane` receives, from the CUDA Programming Guide's description.
int expected_source(const ShuffleCase& c, int lane) {
  const int first = lane / c.width * c.width;
  switch (c.mode) {
    case 0: return first + c.b % c.width;
    case 1: return lane - c.b >= first ? lane - c.b : lane;
    case 2: return lane + c.b < first + c.width ? lane + c.b : lane;
    default: return (lane ^ c.b) < first + c.width ? (lane ^ c.b) : lane;
  }
}

__global__ void shuffle_without_own_lane_kernel(int* out) {
  out[threadIdx.x] = __shfl_sync(0xfffffffeu, 1, 1);
}

void check_shuffles() {
  const ShuffleCase cases[] = {
      {"__shfl_sync reads lane b of its width-8 segment", 0, 11, 8},
      {"__shfl_sync with the default width reads lane b of the warp", 0, 5, 32},
      {"__shfl_up_sync keeps its own value below the segment's first lane", 1, 2, 8},
      {"__shfl_down_sync keeps its own value past the segment's end", 2, 5, 16},
      {"__shfl_xor_sync exchanges across the whole warp", 3, 17, 32},
      {"__shfl_xor_sync keeps its own value outside a width-4 segment", 3, 6, 4},
  };
  int* out = device_array<int>(64);
  for (const ShuffleCase& c : cases) {
    shuffle_kernel<<<1, 64>>>(c.mode, c.b, c.width, out);
    const std::vector<int> host = to_host(out, 64);
    bool ok = cudaGetLastError() == cudaSuccess;
    for (int t = 0; t < 64; ++t) ok = ok && host[t] == 1000 + (t / 32) * 32 + expected_source(c, t % 32);
    report(c.name, ok);
  }
  shuffle_without_own_lane_kernel<<<1, 32>>>(out);
  const std::string fault = fault_after_launch();
  report("a shuffle whose mask leaves out the calling lane is a fault", fault.find("leaves out its own lane") != std::string::npos, fault);
  cudaFree(out);
}

__global__ void __launch_bounds__(128) bounded_kernel(int* out) { out[threadIdx.x] = 1; }

__global__ void dynamic_shared_kernel(int* out, int count) {
  extern __shared__ int dynamic[];
  for (int i = threadIdx.x; i < count; i += blockDim.x) dynamic[i] = i;
  __syncthreads();
  if (threadIdx.x == 0) {
    int sum = 0;
    for (int i = 0; i < count; ++i) sum += dynamic[i] == i;
    *out = sum;
  }
}

void check_launch_limits() {
  int* out = device_array<int>(1024);
  bounded_kernel<<<1, 1025>>>(out);
  report("a block of 1,025 threads is an invalid configuration", cudaGetLastError() == cudaErrorInvalidConfiguration);
  bounded_kernel<<<1, dim3(1, 1, 65)>>>(out);
  report("a block z of 65 is an invalid configuration", cudaGetLastError() == cudaErrorInvalidConfiguration);
  bounded_kernel<<<dim3(1, 65536), 1>>>(out);
  report("a grid y of 65,536 is an invalid configuration", cudaGetLastError() == cudaErrorInvalidConfiguration);
  bounded_kernel<<<1, 256>>>(out);
  report("more threads than __launch_bounds__ is too many resources", cudaGetLastError() == cudaErrorLaunchOutOfResources);
  bounded_kernel<<<1, 128>>>(out);
  report("a launch within __launch_bounds__ runs", cudaGetLastError() == cudaSuccess && cudaDeviceSynchronize() == cudaSuccess);
  const int words = 64 * 1024 / 4;
  dynamic_shared_kernel<<<1, 256, 48 * 1024 + 4>>>(out, 0);
  report("dynamic shared memory over 48 KiB is refused unless raised", cudaGetLastError() == cudaErrorInvalidValue);
  cudaFuncSetAttribute(dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024);
  dynamic_shared_kernel<<<1, 256, 64 * 1024>>>(out, words);
  report("cudaFuncSetAttribute raises the dynamic shared memory limit",
         cudaGetLastError() == cudaSuccess && to_host(out, 1)[0] == words);
  cudaFree(out);
}

__global__ void unwritten_shared_kernel(float* out) {
  __shared__ float never_written[32];
  out[threadIdx.x] = never_written[threadIdx.x];
}

// Each thread takes a ticket when it first runs: the order the block's threads ran in.
__global__ void ticket_kernel(int* counter, int* ticket) { ticket[threadIdx.x] = atomicAdd(counter, 1); }

void check_shared_pattern_and_order() {
  float* values = device_array<float>(32);
  unwritten_shared_kernel<<<1, 32>>>(values);
  bool all_nan = true;
  for (float v : to_host(values, 32)) all_nan = all_nan && v != v;
  report("shared memory nobody wrote reads as NaN", all_nan);
  cudaFree(values);

  int* counter = device_array<int>(1);
  int* tickets = device_array<int>(256);
  cudaMemset(counter, 0, sizeof(int));
  ticket_kernel<<<1, 256>>>(counter, tickets);
  const std::vector<int> host = to_host(tickets, 256);
  const char* order = getenv("MIXDIM_EMULATED_THREAD_ORDER");
  const std::string kind = order == nullptr ? "forward" : std::string(order).substr(0, std::string(order).find(':'));
  bool forward = true, reverse = true, permutation = true;
  std::vector<bool> seen(256, false);
  for (int t = 0; t < 256; ++t) {
    forward = forward && host[t] == t;
    reverse = reverse && host[t] == 255 - t;
    permutation = permutation && host[t] >= 0 && host[t] < 256 && !seen[host[t]];
    if (host[t] >= 0 && host[t] < 256) seen[host[t]] = true;
  }
  const bool ok = kind == "forward" ? forward : kind == "reverse" ? reverse : permutation && !forward && !reverse;
  report("threads run in the order MIXDIM_EMULATED_THREAD_ORDER names", ok, "order " + kind);
  cudaFree(counter);
  cudaFree(tickets);
}

void check_cub() {
  const int n = 1000;
  std::vector<uint32_t> keys(n);
  std::vector<int> values(n);
  for (int i = 0; i < n; ++i) {
    keys[i] = static_cast<uint32_t>((i * 7919) % 61) | 0x80000000u;  // a high bit outside the sorted range
    values[i] = i;
  }
  uint32_t* keys_in = device_array<uint32_t>(n);
  uint32_t* keys_out = device_array<uint32_t>(n);
  int* values_in = device_array<int>(n);
  int* values_out = device_array<int>(n);
  cudaMemcpy(keys_in, keys.data(), n * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(values_in, values.data(), n * 4, cudaMemcpyHostToDevice);
  size_t bytes = 0;
  cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys_in, keys_out, values_in, values_out, n, 0, 6);
  void* storage = nullptr;
  cudaMalloc(&storage, bytes);
  size_t short_bytes = bytes - 1;
  report("CUB refuses temporary storage smaller than its size query said",
         bytes > 0 && cub::DeviceRadixSort::SortPairs(storage, short_bytes, keys_in, keys_out, values_in, values_out, n, 0, 6) ==
                          cudaErrorInvalidValue);
  const cudaError_t sorted = cub::DeviceRadixSort::SortPairs(storage, bytes, keys_in, keys_out, values_in, values_out, n, 0, 6);
  const std::vector<uint32_t> out_keys = to_host(keys_out, n);
  const std::vector<int> out_values = to_host(values_out, n);
  bool ok = sorted == cudaSuccess;
  for (int i = 1; i < n; ++i) {
    const uint32_t a = out_keys[i - 1] & 63, b = out_keys[i] & 63;
    ok = ok && (a < b || (a == b && out_values[i - 1] < out_values[i]));  // ordered by bits [0, 6), stable
  }
  for (int i = 0; i < n; ++i) ok = ok && out_keys[i] == keys[out_values[i]];
  report("cub::DeviceRadixSort::SortPairs sorts stably by the bits asked for", ok);
  cudaFree(storage);
  cudaFree(keys_in);
  cudaFree(keys_out);
  cudaFree(values_in);
  cudaFree(values_out);
}

void check_devices() {
  setenv("MIXDIM_EMULATED_DEVICES", "2", 1);
  int count = 0;
  int* on_one = nullptr;
  cudaPointerAttributes attributes{};
  const bool counted = cudaGetDeviceCount(&count) == cudaSuccess && count == 2;
  const bool allocated = cudaSetDevice(1) == cudaSuccess && cudaMalloc(&on_one, 64) == cudaSuccess;
  const bool remembered = cudaPointerGetAttributes(&attributes, on_one + 3) == cudaSuccess &&
                          attributes.type == cudaMemoryTypeDevice && attributes.device == 1;
  int current = -1;
  cudaGetDevice(&current);
  const bool refused = cudaSetDevice(2) == cudaErrorInvalidDevice;
  report("MIXDIM_EMULATED_DEVICES=2 gives two devices, and allocations remember theirs",
         counted && allocated && remembered && current == 1 && refused);
  cudaFree(on_one);
  cudaSetDevice(0);
  unsetenv("MIXDIM_EMULATED_DEVICES");

  cudaDeviceProp properties;
  cudaGetDeviceProperties(&properties, 0);
  report("the device has an H100's properties",
         properties.major == 9 && properties.minor == 0 && properties.multiProcessorCount == 132 &&
             properties.maxThreadsPerMultiProcessor == 2048 && properties.sharedMemPerMultiprocessor == 228 * 1024 &&
             properties.warpSize == 32);

  int host = 0;
  int* device = device_array<int>(1);
  report("a copy to the device whose destination is host memory is refused",
         cudaMemcpy(&host, &host, sizeof(int), cudaMemcpyHostToDevice) == cudaErrorInvalidValue &&
             cudaMemcpy(device, &host, 2 * sizeof(int), cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  cudaFree(device);
}

}  // namespace

int main() {
  check_coordinates();
  check_barriers();
  check_divergence();
  check_shuffles();
  check_launch_limits();
  check_shared_pattern_and_order();
  check_cub();
  check_devices();
  printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
