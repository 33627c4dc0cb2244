#pragma once

#include <napi.h>

namespace mixdim {

// copyMemory(dst, src): Float32Arrays on the CPU, or DeviceBuffers on one CUDA device.
Napi::Value copy_memory(const Napi::CallbackInfo& info);

}  // namespace mixdim
