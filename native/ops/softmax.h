// The softmax op's kernel signatures, shared by its CPU and CUDA registrations. Row-major
// [rows × cols]; softmax runs along each row (the last dimension).
#pragma once

#include <stdint.h>

namespace mixdim {

// y[r, :] = softmax(x[r, :])
using SoftmaxForwardKernel = void(const float* x, float* y, int64_t rows, int64_t cols);
// dx[r, j] = y[r, j] · (dy[r, j] − Σ_k dy[r, k] · y[r, k])
using SoftmaxBackwardKernel = void(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

constexpr const char* kSoftmaxForward = "softmax_forward";
constexpr const char* kSoftmaxBackward = "softmax_backward";

}  // namespace mixdim
