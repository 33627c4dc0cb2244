// The dense optimizers' kernel signatures, shared by their CPU and CUDA registrations.
#pragma once

#include <stdint.h>

#include "../kernels/dense_optimizer.h"

namespace mixdim {

// param, grad and (when not null) momentum_buffer hold n elements; param and the buffer are updated in place.
using DenseSgdKernel = void(float* param, const float* grad, float* momentum_buffer, int64_t n, DenseSgdStep step);
// param, grad, m, v hold n elements; param, m and v are updated in place.
using DenseAdamKernel = void(float* param, const float* grad, float* m, float* v, int64_t n, DenseAdamStep step);
// param, grad, sum hold n elements; param and sum are updated in place.
using DenseAdagradKernel = void(float* param, const float* grad, float* sum, int64_t n, DenseAdagradStep step);
// Σ x_i² in double, summed in a fixed order.
using ClipSumOfSquaresKernel = double(const float* x, int64_t n);
// x_i ← factor·x_i.
using ClipScaleKernel = void(float* x, int64_t n, float factor);

constexpr const char* kDenseSgd = "dense_sgd";
constexpr const char* kDenseAdam = "dense_adam";
constexpr const char* kDenseAdagrad = "dense_adagrad";
constexpr const char* kClipSumOfSquares = "clip_grad_sum_of_squares";
constexpr const char* kClipScale = "clip_grad_scale";

}  // namespace mixdim
