// linearCombination(alpha, x, beta, y, z) and product(x, y, z): float32 arrays of one length on one device.
#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "elementwise.h"

namespace mixdim {

namespace {

Napi::Value linear_combination_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const float alpha = static_cast<float>(finite_number(info[0], "alpha"));
    const int device = argument_device(info[1], "x");
    const KernelArray x = kernel_float32(info[1], "x", device);
    const float beta = static_cast<float>(finite_number(info[2], "beta"));
    const KernelArray y = kernel_float32(info[3], "y", device);
    const KernelArray z = kernel_float32(info[4], "z", device);
    expect_length(y, x.length, "y", "x.length");
    expect_length(z, x.length, "z", "x.length");
    kernel<LinearCombinationKernel>(kLinearCombination, device)(alpha, static_cast<const float*>(x.data), beta,
                                                                static_cast<const float*>(y.data),
                                                                static_cast<float*>(z.data), x.length);
    return info.Env().Undefined();
  });
}

Napi::Value product_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "x");
    const KernelArray x = kernel_float32(info[0], "x", device);
    const KernelArray y = kernel_float32(info[1], "y", device);
    const KernelArray z = kernel_float32(info[2], "z", device);
    expect_length(y, x.length, "y", "x.length");
    expect_length(z, x.length, "z", "x.length");
    kernel<ProductKernel>(kProduct, device)(static_cast<const float*>(x.data), static_cast<const float*>(y.data),
                                            static_cast<float*>(z.data), x.length);
    return info.Env().Undefined();
  });
}

const BindingRegistration combination("linearCombination", &linear_combination_binding);
const BindingRegistration multiply("product", &product_binding);

}  // namespace

}  // namespace mixdim
