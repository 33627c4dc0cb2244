// The addon's entry point: what `require("mixdim.node")` returns.
#include <napi.h>

#include "../cuda/device_runtime.h"
#include "addon_data.h"
#include "binding_registry.h"
#include "arguments.h"
#include "device_buffer.h"
#include "malloc_tuning.h"
#include "memory_copy.h"
#include "store_binding.h"
#include "thread_pool.h"

namespace mixdim {

namespace {

// The emulated CUDA build (test/cuda_emulation) runs the CUDA kernels on the CPU; its devices say so.
#if defined(MIXDIM_CUDA_EMULATION)
constexpr bool kEmulatedDevices = true;
#else
constexpr bool kEmulatedDevices = false;
#endif

// backendInfo() → { threads, cudaCompiled, cudaDevices: [...], cudaUnavailableReason }
Napi::Value backend_info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("threads", Napi::Number::New(env, ThreadPool::instance().threads()));
  result.Set("mallocTuned", Napi::Boolean::New(env, tune_malloc_for_tensors()));
  result.Set("cudaCompiled", Napi::Boolean::New(env, cuda::compiled_in()));
  std::string reason;
  const std::vector<cuda::DeviceInfo> devices = cuda::devices(&reason);
  Napi::Array list = Napi::Array::New(env, devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    Napi::Object device = Napi::Object::New(env);
    device.Set("index", Napi::Number::New(env, devices[i].ordinal));
    device.Set("name", Napi::String::New(env, devices[i].name));
    device.Set("totalMemory", Napi::Number::New(env, static_cast<double>(devices[i].total_memory)));
    device.Set("computeCapability", Napi::String::New(env, std::to_string(devices[i].compute_major) + "." +
                                                               std::to_string(devices[i].compute_minor)));
    device.Set("emulated", Napi::Boolean::New(env, kEmulatedDevices));
    list.Set(static_cast<uint32_t>(i), device);
  }
  result.Set("cudaDevices", list);
  if (devices.empty()) result.Set("cudaUnavailableReason", Napi::String::New(env, reason));
  return result;
}

// setThreads(n): resizes the CPU kernels' thread pool.
Napi::Value set_threads(const Napi::CallbackInfo& info) {
  const int64_t threads = integer_in_range(info[0], "threads", 1, 1024);
  ThreadPool::instance().set_threads(static_cast<int>(threads));
  return info.Env().Undefined();
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  tune_malloc_for_tensors();
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function device_buffer = DeviceBuffer::define(env);
  data->device_buffer = Napi::Persistent(device_buffer);
  exports.Set("DeviceBuffer", device_buffer);
  exports.Set("EmbeddingStore", StoreBinding::define(env));
  exports.Set("backendInfo", Napi::Function::New<backend_info>(env, "backendInfo"));
  exports.Set("setThreads", Napi::Function::New<set_threads>(env, "setThreads"));
  exports.Set("copyMemory", Napi::Function::New<copy_memory>(env, "copyMemory"));
  for (const auto& [name, fn] : registered_bindings()) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

}  // namespace mixdim

static Napi::Object InitMixdim(Napi::Env env, Napi::Object exports) { return mixdim::init(env, exports); }

NODE_API_MODULE(mixdim, InitMixdim)
