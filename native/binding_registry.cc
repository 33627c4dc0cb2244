#include "binding_registry.h"

namespace mixdim {

std::vector<std::pair<const char*, BindingFunction>>& registered_bindings() {
  static std::vector<std::pair<const char*, BindingFunction>> bindings;
  return bindings;
}

}  // namespace mixdim
