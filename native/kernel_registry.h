// Kernels registered per (name, backend), as tfjs-core's kernel registry does: an op's binding
// asks for its kernel on the device of its arguments, and a new backend is a set of
// registrations, not an edit of every op. CUDA kernels register themselves from cuda/*.cu, so a
// build without nvcc simply has none and says so.
#pragma once

#include <stdexcept>
#include <string>

#include "../cuda/device_runtime.h"

namespace mixdim {

enum class Backend { kCpu = 0, kCuda = 1 };

using AnyKernel = void (*)();

void register_kernel(const char* name, Backend backend, AnyKernel kernel);
// nullptr when no kernel of that name is registered for the backend.
AnyKernel find_kernel(const char* name, Backend backend);

// The kernel `name` for a device (kHostDevice = -1 for the CPU, else CUDA), typed by its
// signature. Throws std::runtime_error when this build has no such kernel. For a CUDA device it
// also makes that device current, because CUDA launches on the current device and the kernel's
// scratch memory is kept per device (cuda/per_device.cuh): an op runs where its tensors are.
template <typename Signature>
Signature* kernel(const char* name, int device) {
  const Backend backend = device < 0 ? Backend::kCpu : Backend::kCuda;
  AnyKernel found = find_kernel(name, backend);
  if (found == nullptr) {
    throw std::runtime_error(std::string(name) + " has no " + (device < 0 ? "CPU" : "CUDA") +
                             " kernel in this build" +
                             (device < 0 ? "" : " (rebuild with `npm run build:cuda` where nvcc is installed)"));
  }
  if (backend == Backend::kCuda) cuda::make_current(device);
  return reinterpret_cast<Signature*>(found);
}

// `static const KernelRegistration r = KernelRegistration::of<Sig>("name", Backend::kCpu, &fn);`
// checks at compile time that fn has the op's signature.
struct KernelRegistration {
  template <typename Signature>
  static KernelRegistration of(const char* name, Backend backend, Signature* fn) {
    register_kernel(name, backend, reinterpret_cast<AnyKernel>(fn));
    return KernelRegistration{};
  }
};

}  // namespace mixdim
