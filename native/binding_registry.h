// JS functions that op bindings export. Each native/ops/*_binding.cc registers its functions
// with a static BindingRegistration, and the addon's init exports everything registered,
// so adding an op never edits addon.cc.
#pragma once

#include <napi.h>

#include <utility>
#include <vector>

namespace mixdim {

using BindingFunction = Napi::Value (*)(const Napi::CallbackInfo&);

std::vector<std::pair<const char*, BindingFunction>>& registered_bindings();

struct BindingRegistration {
  BindingRegistration(const char* name, BindingFunction fn) { registered_bindings().emplace_back(name, fn); }
};

}  // namespace mixdim
