// activationForward(kind, x, y) and activationBackward(kind, y, dy, dx): float32 arrays of one
// length, all on one device.
#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "activation.h"

namespace mixdim {

namespace {

Napi::Value activation_forward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int32_t kind = static_cast<int32_t>(integer_in_range(info[0], "kind", 0, 2));
    const int device = argument_device(info[1], "x");
    const KernelArray x = kernel_float32(info[1], "x", device);
    const KernelArray y = kernel_float32(info[2], "y", device);
    expect_length(y, x.length, "y", "x.length");
    kernel<ActivationForwardKernel>(kActivationForward, device)(kind, static_cast<const float*>(x.data),
                                                                static_cast<float*>(y.data), x.length);
    return info.Env().Undefined();
  });
}

Napi::Value activation_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int32_t kind = static_cast<int32_t>(integer_in_range(info[0], "kind", 0, 2));
    const int device = argument_device(info[1], "y");
    const KernelArray y = kernel_float32(info[1], "y", device);
    const KernelArray dy = kernel_float32(info[2], "dy", device);
    const KernelArray dx = kernel_float32(info[3], "dx", device);
    expect_length(dy, y.length, "dy", "y.length");
    expect_length(dx, y.length, "dx", "y.length");
    kernel<ActivationBackwardKernel>(kActivationBackward, device)(
        kind, static_cast<const float*>(y.data), static_cast<const float*>(dy.data), static_cast<float*>(dx.data),
        y.length);
    return info.Env().Undefined();
  });
}

const BindingRegistration forward("activationForward", &activation_forward_binding);
const BindingRegistration backward("activationBackward", &activation_backward_binding);

}  // namespace

}  // namespace mixdim
