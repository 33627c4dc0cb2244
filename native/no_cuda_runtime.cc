// The CUDA runtime of a build made without nvcc: there are no devices, and saying so is all it does.
#include <stdexcept>

#include "../cuda/device_runtime.h"

namespace mixdim {
namespace cuda {

namespace {
constexpr const char* kNotCompiled =
    "this mixdim binary was built without CUDA (rebuild with `npm run build:cuda` where nvcc is installed)";
}

bool compiled_in() { return false; }

std::vector<DeviceInfo> devices(std::string* reason) {
  *reason = kNotCompiled;
  return {};
}

void* allocate(int, int64_t) { throw std::runtime_error(kNotCompiled); }
void release(int, void*) {}
void copy_to_device(int, void*, const void*, int64_t) { throw std::runtime_error(kNotCompiled); }
void copy_to_host(int, void*, const void*, int64_t) { throw std::runtime_error(kNotCompiled); }
void copy_on_device(int, void*, const void*, int64_t) { throw std::runtime_error(kNotCompiled); }
void make_current(int) { throw std::runtime_error(kNotCompiled); }
std::unique_ptr<StoreBackend> make_store_backend(int) { throw std::runtime_error(kNotCompiled); }

}  // namespace cuda
}  // namespace mixdim
