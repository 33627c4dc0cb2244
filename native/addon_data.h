// Per-environment state of the addon: the constructors native code needs to recognise or create objects.
#pragma once

#include <napi.h>

namespace mixdim {

struct AddonData {
  Napi::FunctionReference device_buffer;
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace mixdim
