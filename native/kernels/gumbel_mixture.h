// The Gumbel-softmax mixture of AutoDim/DARTS: per field f, weights over the M candidates
//   p_f = softmax((log α_f + g_f)/τ),   w_f = p_f (soft) or onehot(argmax p_f) (hard)
// and the mix out[b, f, :] = Σ_m w_fm · h[b, f, m, :] of the candidates' projections
// h[b, f, m, :] = W_fm e_fm[b] + b_fm (or a batch-normalised version of it).
//
// Bounds: the weights are F·M values (negligible). The weighted sum is bandwidth-bound
// (reads B·F·M·D floats, writes B·F·D). The fused projection-and-mix is GEMM-bound
// (2·B·D·K flops per field, K = Σ d_m separate or d_M shared); its extra work is matrix-sized.
//
// Layouts shared by the projection ops (see docs/gumbel_and_chain.md):
//   e  [B, F, K]   candidate inputs: K = Σ d_m with candidate m at columns [o_m, o_m + d_m)
//                  (separate tables), or K = d_M with candidate m the prefix [0, d_m) (shared)
//   W  [F, D, S]   S = Σ d_m; W_fm (D × d_m) is the column block [o_m, o_m + d_m) of W[f]
//   b  [F, M, D]
#pragma once

#include <math.h>
#include <stdint.h>

#include "gumbel.h"
#include "hd.h"

namespace mixdim {

enum MixtureMode : int32_t { kMixtureSoftmax = 0, kMixtureGumbel = 1, kMixtureHard = 2 };

// p and w of one field: `log_alpha`, `p`, `w` point at the field's M values.
MIXDIM_HD void mixture_weights_field(int32_t mode, float tau, uint64_t seed, uint32_t step, uint32_t field,
                                     int64_t candidates, const float* log_alpha, float* p, float* w) {
  // x_m = log α_m + g_m is kept in p until normalised; p_m = exp((x_m − max x)/τ)/Σ, with the
  // difference taken before dividing by τ so that a small τ cannot overflow.
  float largest = -INFINITY;
  int64_t argmax = 0;
  for (int64_t m = 0; m < candidates; ++m) {
    const float noise = mode == kMixtureSoftmax ? 0.0f : gumbel_noise(seed, step, field, static_cast<uint32_t>(m));
    const float x = log_alpha[m] + noise;
    p[m] = x;
    if (x > largest) {
      largest = x;
      argmax = m;
    }
  }
  float total = 0.0f;
  for (int64_t m = 0; m < candidates; ++m) {
    p[m] = expf((p[m] - largest) / tau);
    total += p[m];
  }
  const float inverse = 1.0f / total;
  for (int64_t m = 0; m < candidates; ++m) {
    p[m] *= inverse;
    w[m] = mode == kMixtureHard ? (m == argmax ? 1.0f : 0.0f) : p[m];
  }
}

// dlogα_m = (1/τ) · p_m · (dw_m − Σ_i p_i dw_i): the softmax's Jacobian-vector product. In hard mode
// the same expression with the soft p is the straight-through estimator.
MIXDIM_HD void mixture_weights_backward_field(float tau, int64_t candidates, const float* p, const float* dw,
                                              float* dlog_alpha) {
  float mean = 0.0f;
  for (int64_t m = 0; m < candidates; ++m) mean += p[m] * dw[m];
  const float inverse_tau = 1.0f / tau;
  for (int64_t m = 0; m < candidates; ++m) dlog_alpha[m] = inverse_tau * p[m] * (dw[m] - mean);
}

constexpr int32_t kMaxMixtureCandidates = 128;

// The shapes of a projected mixture (the binding fills and checks it). Candidate m has dims[m]
// columns starting at offsets[m] = Σ_{i<m} dims[i] in W, and in e when tables are separate.
struct MixtureLayout {
  int64_t batch = 0;
  int64_t fields = 0;
  int64_t candidates = 0;
  int64_t dim = 0;           // D, the common output size
  int64_t input_width = 0;   // K: Σ d_m (separate) or d_{M−1} (shared, dims increasing)
  int64_t weight_width = 0;  // S = Σ d_m
  int32_t shared = 0;
  int32_t dims[kMaxMixtureCandidates] = {};
  int32_t offsets[kMaxMixtureCandidates] = {};
};

// Where candidate m's input starts in a row of e: its own block, or the shared prefix.
MIXDIM_HD int64_t mixture_input_offset(const MixtureLayout& layout, int64_t m) {
  return layout.shared ? 0 : layout.offsets[m];
}

// The candidate whose block of W holds column s ∈ [0, S).
MIXDIM_HD int64_t mixture_candidate_of_column(const MixtureLayout& layout, int64_t s) {
  int64_t m = 0;
  while (m + 1 < layout.candidates && s >= layout.offsets[m + 1]) ++m;
  return m;
}

// W̃_f[r, col] for the fused path: w_fm·W_fm[r, col − o_m] in candidate m's block (separate), or
// Σ_{m: d_m > col} w_fm·W_fm[r, col] over the candidates sharing the prefix (shared).
MIXDIM_HD float mixture_combined_weight(const MixtureLayout& layout, const float* weights, const float* w, int64_t f,
                                        int64_t r, int64_t col) {
  const float* row = weights + (f * layout.dim + r) * layout.weight_width;
  const float* wf = w + f * layout.candidates;
  if (!layout.shared) {
    const int64_t m = mixture_candidate_of_column(layout, col);
    return wf[m] * row[col];
  }
  float total = 0.0f;
  for (int64_t m = 0; m < layout.candidates; ++m) {
    if (col < layout.dims[m]) total += wf[m] * row[layout.offsets[m] + col];
  }
  return total;
}

// b̃_f[r] = Σ_m w_fm·b_fm[r].
MIXDIM_HD float mixture_combined_bias(const MixtureLayout& layout, const float* biases, const float* w, int64_t f,
                                      int64_t r) {
  float total = 0.0f;
  for (int64_t m = 0; m < layout.candidates; ++m) {
    total += w[f * layout.candidates + m] * biases[(f * layout.candidates + m) * layout.dim + r];
  }
  return total;
}

// dW_fm[r, c] = w_fm·G_f[r, i_m + c] with G_f = Σ_b dout_f[b] e_f[b]ᵀ (D × K), for column s = o_m + c of W[f].
MIXDIM_HD float mixture_weight_gradient(const MixtureLayout& layout, const float* sums, const float* w, int64_t f,
                                        int64_t r, int64_t s) {
  const int64_t m = mixture_candidate_of_column(layout, s);
  const int64_t column = mixture_input_offset(layout, m) + (s - layout.offsets[m]);
  return w[f * layout.candidates + m] * sums[(f * layout.dim + r) * layout.input_width + column];
}

// Term `i` of dw_fm = Σ_b ⟨dout_f[b], W_fm e_fm[b] + b_fm⟩ = ⟨G_f[:, block m], W_fm⟩ + ⟨g_f, b_fm⟩,
// i ∈ [0, D·d_m + D): first the D·d_m products of the weight block, then the D bias products.
MIXDIM_HD float mixture_alpha_term(const MixtureLayout& layout, const float* sums, const float* grad_sum,
                                   const float* weights, const float* biases, int64_t f, int64_t m, int64_t i) {
  const int64_t dm = layout.dims[m];
  const int64_t block = layout.dim * dm;
  if (i < block) {
    const int64_t r = i / dm;
    const int64_t c = i - r * dm;
    return sums[(f * layout.dim + r) * layout.input_width + mixture_input_offset(layout, m) + c] *
           weights[(f * layout.dim + r) * layout.weight_width + layout.offsets[m] + c];
  }
  const int64_t r = i - block;
  return grad_sum[f * layout.dim + r] * biases[(f * layout.candidates + m) * layout.dim + r];
}

}  // namespace mixdim
