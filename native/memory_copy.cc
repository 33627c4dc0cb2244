// copyMemory(dst, src): the machine's copy bandwidth, the limit every kernel's GB/s is read against.
// On the CPU it is memcpy split over the thread pool; on CUDA a device-to-device cudaMemcpy.
#include "memory_copy.h"

#include <cstring>

#include "../cuda/device_runtime.h"
#include "arguments.h"
#include "js_errors.h"
#include "thread_pool.h"

namespace mixdim {

Napi::Value copy_memory(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const bool on_device = !info[0].IsTypedArray();
    const int device = on_device ? info[0].As<Napi::Object>().Get("device").As<Napi::Number>().Int32Value()
                                 : kHostDevice;
    const KernelArray dst = kernel_float32(info[0], "dst", device);
    const KernelArray src = kernel_float32(info[1], "src", device);
    expect_length(src, dst.length, "src", "dst.length");
    if (on_device) {
      cuda::copy_on_device(device, dst.data, src.data, dst.length * 4);
    } else {
      char* to = static_cast<char*>(dst.data);
      const char* from = static_cast<const char*>(src.data);
      ThreadPool::instance().parallel_for(dst.length * 4, int64_t(1) << 20, [&](int64_t begin, int64_t end) {
        std::memcpy(to + begin, from + begin, static_cast<size_t>(end - begin));
      });
    }
    return info.Env().Undefined();
  });
}

}  // namespace mixdim
