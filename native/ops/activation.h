// The activation op's kernel signatures, shared by its CPU and CUDA registrations.
#pragma once

#include <stdint.h>

namespace mixdim {

// y[i] = f(x[i])
using ActivationForwardKernel = void(int32_t kind, const float* x, float* y, int64_t n);
// dx[i] = f'(x[i]) · dy[i], with f' computed from y = f(x)
using ActivationBackwardKernel = void(int32_t kind, const float* y, const float* dy, float* dx, int64_t n);

constexpr const char* kActivationForward = "activation_forward";
constexpr const char* kActivationBackward = "activation_backward";

}  // namespace mixdim
