// State an op keeps between calls, one copy per CUDA device.
//
// Device memory belongs to the device it was allocated on, and a device's size decides launch
// shapes, so a scratch buffer or a cached shape taken on device 0 is wrong for an op whose tensors
// live on device 1. The op's binding makes its tensors' device current (native/kernel_registry.h),
// and current() picks that device's copy. Ops run one at a time on the JS thread.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_check.cuh"

namespace mixdim {
namespace cuda {

// Ordinals at or above this are refused rather than silently sharing a copy.
constexpr int kMaxDevices = 64;

template <typename T>
class PerDevice {
 public:
  T& current() {
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    if (device < 0 || device >= kMaxDevices) {
      throw std::range_error("CUDA device " + std::to_string(device) + " is past the " + std::to_string(kMaxDevices) +
                             " devices mixdim keeps state for");
    }
    return items_[device];
  }

 private:
  T items_[kMaxDevices]{};
};

}  // namespace cuda
}  // namespace mixdim
