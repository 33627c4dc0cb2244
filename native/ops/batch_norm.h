// The batch-norm op's kernel signatures, shared by its CPU and CUDA registrations.
#pragma once

#include <stdint.h>

namespace mixdim {

// x, y: [n, c] row-major; every per-feature array has c elements. gamma and beta are both null
// (no affine parameters) or both set. In training (n ≥ 2, checked by the caller) the batch
// statistics go to save_mean/save_invstd and, when running_mean/running_var are not null,
// update them in place. In eval running_mean/running_var must be set; save_mean/save_invstd
// receive the running mean and 1/sqrt(running_var + eps), so the backward reads one form.
// activation (BatchNormActivation) follows the normalisation in the same pass.
using BatchNormForwardKernel = void(bool training, const float* x, const float* gamma, const float* beta,
                                    float* running_mean, float* running_var, float* y, float* save_mean,
                                    float* save_invstd, int64_t n, int64_t c, float eps, float momentum,
                                    int32_t activation);

// dx from dy and the forward's save_mean/save_invstd (training: through the batch statistics;
// eval: elementwise). dgamma/dbeta (both null or both set) receive Σdy·x̂ and Σdy. With an
// activation, y is the forward's output (null without one) and dy is taken through it first.
using BatchNormBackwardKernel = void(bool training, const float* x, const float* dy, const float* gamma,
                                     const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                                     float* dbeta, int64_t n, int64_t c, int32_t activation, const float* y);

constexpr const char* kBatchNormForward = "batch_norm_forward";
constexpr const char* kBatchNormBackward = "batch_norm_backward";

}  // namespace mixdim
