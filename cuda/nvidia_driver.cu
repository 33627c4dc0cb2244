// The NVIDIA driver as seen through libcuda.so.1, its user-space library, opened with dlopen and
// never linked, so the addon still loads where no driver is installed.
//
// Asked before cudart because cudart (linked statically) reports a machine with no driver as "CUDA
// driver version is insufficient for CUDA runtime version", which sends a user without a GPU looking
// for a driver update, and a driver that is too old without saying which one would do.
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <fstream>
#include <sstream>
#include <string>

#include "nvidia_driver.h"

namespace mixdim {
namespace cuda {

namespace {

// The driver API entry points used here, with cuda.h's signatures.
using DriverGetVersionFn = CUresult (*)(int*);
using InitFn = CUresult (*)(unsigned int);
using GetErrorStringFn = CUresult (*)(CUresult, const char**);

// The oldest Linux driver branch that runs each CUDA major version (NVIDIA's CUDA compatibility
// table; within a major version, minor version compatibility covers the rest): 0 where unknown.
int minimum_driver_branch(int cuda_major) {
  switch (cuda_major) {
    case 11: return 450;
    case 12: return 525;
    case 13: return 580;
    default: return 0;
  }
}

// 12040 -> "12.4", the form cuDriverGetVersion and CUDART_VERSION share.
std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

// The kernel module's version ("550.54.15") from /proc/driver/nvidia/version; empty where unreadable.
std::string kernel_module_version() {
  std::ifstream file("/proc/driver/nvidia/version");
  std::string line;
  if (!std::getline(file, line)) return "";
  const std::string marker = "Kernel Module";
  const size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  std::istringstream rest(line.substr(at + marker.size()));
  std::string version;
  rest >> version;
  return version;
}

std::string driver_too_old(int driver_version) {
  const std::string built_with = cuda_version_text(CUDART_VERSION);
  const int branch = minimum_driver_branch(CUDART_VERSION / 1000);
  const std::string module = kernel_module_version();
  return "the NVIDIA driver is too old for mixdim's CUDA " + built_with + " build: the driver found" +
         (module.empty() ? "" : " (" + module + ")") + " supports CUDA " + cuda_version_text(driver_version) +
         ", and CUDA " + built_with + " needs " +
         (branch > 0 ? "driver R" + std::to_string(branch) + " or newer" : "a driver for CUDA " + built_with) +
         " (update the driver, or build mixdim from source for the CUDA your driver supports: with that "
         "toolkit's nvcc and cmake installed, run `npx cmake-js rebuild` in node_modules/mixdim)";
}

std::string find_driver_problem() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) return "no NVIDIA driver found (libcuda.so.1 could not be loaded)";
  // The library stays open: cudart loads the same one, and the process keeps it until exit anyway.

  const auto driver_get_version = reinterpret_cast<DriverGetVersionFn>(dlsym(driver, "cuDriverGetVersion"));
  int driver_version = 0;
  if (driver_get_version == nullptr || driver_get_version(&driver_version) != CUDA_SUCCESS) {
    return "the NVIDIA driver's libcuda.so.1 did not report its version";
  }
  if (driver_version / 1000 < CUDART_VERSION / 1000) return driver_too_old(driver_version);

  const auto init = reinterpret_cast<InitFn>(dlsym(driver, "cuInit"));
  if (init == nullptr) return "the NVIDIA driver's libcuda.so.1 has no cuInit";
  const CUresult status = init(0);
  if (status == CUDA_ERROR_NO_DEVICE) {
    return "no CUDA device visible: the NVIDIA driver is installed but shows this process no GPU "
           "(check CUDA_VISIBLE_DEVICES, and that /dev/nvidia* exist and are readable)";
  }
  if (status != CUDA_SUCCESS) {
    const auto get_error_string = reinterpret_cast<GetErrorStringFn>(dlsym(driver, "cuGetErrorString"));
    const char* text = nullptr;
    if (get_error_string == nullptr || get_error_string(status, &text) != CUDA_SUCCESS || text == nullptr) {
      text = "unknown error";
    }
    return "the NVIDIA driver failed to start (cuInit: " + std::string(text) + ", code " + std::to_string(status) + ")";
  }
  return "";
}

}  // namespace

const std::string& nvidia_driver_problem() {
  static const std::string problem = find_driver_problem();
  return problem;
}

}  // namespace cuda
}  // namespace mixdim
