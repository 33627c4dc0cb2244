// The Gumbel-softmax mixture's kernel signatures, shared by its CPU and CUDA registrations.
// Formulas and layouts: native/kernels/gumbel_mixture.h. All pointers live on the kernel's device.
#pragma once

#include <stdint.h>

#include "../kernels/gumbel_mixture.h"

namespace mixdim {

// noise[f, m] = −log(−log u(seed, step, f, m)).
using GumbelNoiseKernel = void(int64_t fields, int64_t candidates, uint64_t seed, uint32_t step, float* noise);
// p = softmax((log α + g)/τ) per field (g = 0 in softmax mode); w = p, or onehot(argmax p) in hard mode.
using MixtureWeightsKernel = void(int64_t fields, int64_t candidates, const float* log_alpha, float tau, int32_t mode,
                                  uint64_t seed, uint32_t step, float* p, float* w);
// dlogα = (1/τ)·p ⊙ (dw − ⟨p, dw⟩) per field.
using MixtureWeightsBackwardKernel = void(int64_t fields, int64_t candidates, const float* p, const float* dw,
                                          float tau, float* dlog_alpha);
// out[b, f, :] = Σ_m w[f, m]·h[b, f, m, :]; h is [B, F, M, D], out [B, F, D].
using WeightedSumKernel = void(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h,
                               const float* w, float* out);
// dh[b, f, m, :] = w[f, m]·dout[b, f, :]; dw[f, m] = Σ_b ⟨dout[b, f, :], h[b, f, m, :]⟩ (fixed order).
using WeightedSumBackwardKernel = void(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h,
                                       const float* w, const float* dout, float* dh, float* dw);
// h[b, f, m, :] = W_fm e_fm[b] + b_fm, for BN between projection and mix.
using CandidateProjectionKernel = void(const MixtureLayout& layout, const float* e, const float* weights,
                                       const float* biases, float* h);
// de, dW, db from dh (overwritten).
using CandidateProjectionBackwardKernel = void(const MixtureLayout& layout, const float* e, const float* weights,
                                               const float* dh, float* de, float* dweights, float* dbiases);
// out[b, f, :] = Σ_m w_fm (W_fm e_fm[b] + b_fm) as one GEMM per field over W̃_f.
using ProjectAndMixKernel = void(const MixtureLayout& layout, const float* e, const float* weights,
                                 const float* biases, const float* w, float* out);
// de, dW, db, dw from dout (overwritten).
using ProjectAndMixBackwardKernel = void(const MixtureLayout& layout, const float* e, const float* weights,
                                         const float* biases, const float* w, const float* dout, float* de,
                                         float* dweights, float* dbiases, float* dw);

constexpr const char* kGumbelNoise = "gumbel_noise";
constexpr const char* kMixtureWeights = "mixture_weights";
constexpr const char* kMixtureWeightsBackward = "mixture_weights_backward";
constexpr const char* kWeightedSum = "weighted_sum";
constexpr const char* kWeightedSumBackward = "weighted_sum_backward";
constexpr const char* kCandidateProjection = "candidate_projection";
constexpr const char* kCandidateProjectionBackward = "candidate_projection_backward";
constexpr const char* kProjectAndMix = "project_and_mix";
constexpr const char* kProjectAndMixBackward = "project_and_mix_backward";

// Rows of the batch per partial sum of dw: partials are summed in chunk order, so dw does not
// depend on the thread or block count.
constexpr int64_t kMixtureChunkRows = 64;

}  // namespace mixdim
