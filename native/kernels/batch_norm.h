// Batch norm over x [N, C] with per-feature statistics over the batch (BatchNorm1d).
//
//   training: μ_j = (1/N) Σ_i x_ij,  σ²_j = (1/N) Σ_i (x_ij − μ_j)²  (biased),  invstd_j = 1/sqrt(σ²_j + ε)
//             running_mean ← (1 − m)·running_mean + m·μ,  running_var ← (1 − m)·running_var + m·σ²·N/(N − 1)
//   eval:     μ = running_mean, invstd = 1/sqrt(running_var + ε)
//   both:     x̂ = (x − μ)·invstd,  y = γ·x̂ + β   (γ = 1, β = 0 without the affine parameters)
//   backward: dβ = Σ_i dy,  dγ = Σ_i dy·x̂,
//             dx = γ·invstd·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) in training, γ·invstd·dy in eval.
//   fused:    with activation tanh the output is tanh(γ·x̂ + β) (the Linear → BN → tanh of ESAPN's
//             recommender and policies), and the backward first takes dy·(1 − y²) from the output y:
//             the same float expressions as the separate tanh op, one pass over the data fewer.
//
// μ and invstd are kept in float32 (as PyTorch keeps them), so where a feature's values nearly
// coincide the rounding of μ, |x − μ|·2⁻²⁴, reaches y multiplied by γ·invstd ≤ γ/sqrt(ε).
// Statistics and column sums are accumulated in double, row by row in a fixed order, so they do
// not depend on the thread or block count. Bandwidth-bound: the training forward reads x twice on
// the CPU (the moments about the first row, then the output; CUDA takes the mean and the centred
// squares in two passes) and writes y once; the backward reads x and dy twice and writes dx.
#pragma once

#include <math.h>
#include <stdint.h>

#include "activation.h"
#include "hd.h"

namespace mixdim {

MIXDIM_HD double batch_norm_invstd(double variance, double eps) { return 1.0 / sqrt(variance + eps); }

// The momentum update of a running statistic (PyTorch's convention: m weighs the new batch).
MIXDIM_HD float batch_norm_running(float running, double batch, float momentum) {
  return static_cast<float>((1.0 - static_cast<double>(momentum)) * running + static_cast<double>(momentum) * batch);
}

// The unbiased variance that running_var tracks; callers guarantee n ≥ 2.
MIXDIM_HD double batch_norm_unbiased(double biased, int64_t n) {
  return biased * static_cast<double>(n) / static_cast<double>(n - 1);
}

MIXDIM_HD float batch_norm_normalized(float x, float mean, float invstd) { return (x - mean) * invstd; }

MIXDIM_HD float batch_norm_output(float x, float mean, float invstd, float gamma, float beta) {
  return gamma * batch_norm_normalized(x, mean, invstd) + beta;
}

// What follows the normalisation: nothing, or tanh.
enum BatchNormActivation : int32_t { kBatchNormIdentity = 0, kBatchNormTanh = 1 };

MIXDIM_HD float batch_norm_activate(float z, int32_t activation) {
  return activation == kBatchNormTanh ? tanh_forward(z) : z;
}

// dL/d(γ·x̂ + β) from dL/dy and the output y.
MIXDIM_HD float batch_norm_activation_grad(float dy, float y, int32_t activation) {
  return activation == kBatchNormTanh ? activation_backward(kTanh, y, dy) : dy;
}

// dx from dy; mean_dy = Σdy/N and mean_dy_xhat = Σ(dy·x̂)/N in training, both 0 in eval.
MIXDIM_HD float batch_norm_input_grad(float dy, float xhat, float gamma_invstd, float mean_dy, float mean_dy_xhat) {
  return gamma_invstd * (dy - mean_dy - xhat * mean_dy_xhat);
}

}  // namespace mixdim
