// The launch the rewriter writes in place of `kernel<<<grid, block, shared, stream>>>(args...)`:
//   ::mixdim_emu::Launch("kernel (file:line)", grid, block, shared, stream).run([&](auto... a) { kernel(a...); }, args...)
// The arguments are copied once, as CUDA copies them into the launch's parameter buffer, and every
// thread calls the kernel with its own copy of them.
#pragma once

#include <stddef.h>

#include <tuple>
#include <type_traits>
#include <utility>

#include "execution.h"

namespace mixdim_emu {

class Launch {
 public:
  Launch(const char* kernel_name, dim3 grid, dim3 block, size_t dynamic_shared_bytes = 0, cudaStream_t stream = nullptr)
      : name_(kernel_name), grid_(grid), block_(block), dynamic_shared_bytes_(dynamic_shared_bytes), stream_(stream) {}

  // `call` calls the kernel with the arguments it is handed.
  template <typename Call, typename... Args>
  void run(Call call, Args&&... args) const {
    const void* pointers[] = {device_pointer(args)..., nullptr};
    if (!launchable_on_current_device(name_, pointers, sizeof...(Args))) return;
    Bound<Call, Args...> bound{call, std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)};
    launch(KernelCall{name_, &Bound<Call, Args...>::invoke, &bound}, grid_, block_, dynamic_shared_bytes_, stream_);
  }

 private:
  template <typename Call, typename... Args>
  struct Bound {
    Call call;
    std::tuple<std::decay_t<Args>...> arguments;
    static void invoke(void* self) {
      Bound* bound = static_cast<Bound*>(self);
      std::apply(bound->call, bound->arguments);
    }
  };

  // A pointer argument, which the launch checks against the current device; null for any other.
  // (Pointers inside struct arguments are not seen.)
  template <typename T>
  static const void* device_pointer(const T& argument) {
    using Type = std::decay_t<T>;
    if constexpr (std::is_pointer_v<Type> && std::is_object_v<std::remove_pointer_t<Type>>) {
      return static_cast<const void*>(argument);
    } else {
      return nullptr;
    }
  }

  const char* name_;
  dim3 grid_;
  dim3 block_;
  size_t dynamic_shared_bytes_;
  cudaStream_t stream_;
};

// A static __shared__ declaration, as the rewriter writes it: `T (&name)[N] = shared<T[N]>("site")`.
template <typename T>
T& shared(const char* site) {
  return *static_cast<T*>(shared_array(site, sizeof(T), alignof(T)));
}

}  // namespace mixdim_emu
