#include "kernel_registry.h"

#include <map>
#include <utility>

namespace mixdim {

namespace {
// A function-local static is built on first use, so registrations from any translation unit's
// static initialisers find it ready whatever the link order.
std::map<std::pair<std::string, Backend>, AnyKernel>& registry() {
  static std::map<std::pair<std::string, Backend>, AnyKernel> kernels;
  return kernels;
}
}  // namespace

void register_kernel(const char* name, Backend backend, AnyKernel kernel) {
  registry()[{name, backend}] = kernel;
}

AnyKernel find_kernel(const char* name, Backend backend) {
  const auto found = registry().find({name, backend});
  return found == registry().end() ? nullptr : found->second;
}

}  // namespace mixdim
