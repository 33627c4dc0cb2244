// The projection ops' sequence of products, written once for the CPU and CUDA kernels. Every
// batch-sized product is a registry GEMM per field (or per field and candidate); what is left is
// matrix-sized and runs in `Ops`:
//   GemmKernel* gemm;  float* floats(int slot, int64_t n);  void fill(dst, n, value);
//   void combine(layout, weights, biases, w, combined [F, D, K], combined_bias [F, D]);
//   void distribute(layout, weights, biases, w, sums [F, D, K], grad_sum [F, D], dweights, dbiases, dw);
// Derivations: docs/gumbel_and_chain.md §1.
#pragma once

#include <stdint.h>

#include "../kernels/gumbel_mixture.h"
#include "gemm.h"

namespace mixdim {

// h[:, f, m, :] = e_fm W_fmᵀ + b_fm: one GEMM per (f, m) on strided views.
template <typename Ops>
void candidate_projection_plan(Ops& ops, const MixtureLayout& L, const float* e, const float* weights,
                               const float* biases, float* h) {
  if (L.batch == 0) return;
  const int64_t M = L.candidates, D = L.dim, K = L.input_width, S = L.weight_width;
  for (int64_t f = 0; f < L.fields; ++f) {
    for (int64_t m = 0; m < M; ++m) {
      ops.gemm(false, true, L.batch, D, L.dims[m], 1.0f, e + f * K + mixture_input_offset(L, m), L.fields * K,
               weights + f * D * S + L.offsets[m], S, 0.0f, h + (f * M + m) * D, L.fields * M * D,
               biases + (f * M + m) * D);
    }
  }
}

// de_fm = dh_fm W_fm (shared: accumulated into the prefix, widest candidate first),
// dW_fm = dh_fmᵀ e_fm, db_fm = Σ_b dh_fm[b] (a GEMM with a row of ones).
template <typename Ops>
void candidate_projection_backward_plan(Ops& ops, const MixtureLayout& L, const float* e, const float* weights,
                                        const float* dh, float* de, float* dweights, float* dbiases) {
  const int64_t M = L.candidates, D = L.dim, K = L.input_width, S = L.weight_width;
  if (L.batch == 0) {
    ops.fill(dweights, L.fields * D * S, 0.0f);
    ops.fill(dbiases, L.fields * M * D, 0.0f);
    return;
  }
  float* ones = ops.floats(0, L.batch);
  ops.fill(ones, L.batch, 1.0f);
  for (int64_t f = 0; f < L.fields; ++f) {
    for (int64_t m = M - 1; m >= 0; --m) {
      const float* dh_fm = dh + (f * M + m) * D;
      const float* e_fm = e + f * K + mixture_input_offset(L, m);
      const float* w_fm = weights + f * D * S + L.offsets[m];
      const float beta = L.shared && m != M - 1 ? 1.0f : 0.0f;
      ops.gemm(false, false, L.batch, L.dims[m], D, 1.0f, dh_fm, L.fields * M * D, w_fm, S, beta,
               de + f * K + mixture_input_offset(L, m), L.fields * K, nullptr);
      ops.gemm(true, false, D, L.dims[m], L.batch, 1.0f, dh_fm, L.fields * M * D, e_fm, L.fields * K, 0.0f,
               dweights + f * D * S + L.offsets[m], S, nullptr);
      ops.gemm(false, false, 1, D, L.batch, 1.0f, ones, L.batch, dh_fm, L.fields * M * D, 0.0f,
               dbiases + (f * M + m) * D, D, nullptr);
    }
  }
}

// out_f = e_f W̃_fᵀ + b̃_f: the mix is linear, so one GEMM per field over the combined weights.
template <typename Ops>
void project_and_mix_plan(Ops& ops, const MixtureLayout& L, const float* e, const float* weights, const float* biases,
                          const float* w, float* out) {
  if (L.batch == 0) return;
  const int64_t D = L.dim, K = L.input_width;
  float* combined = ops.floats(0, L.fields * D * K);
  float* combined_bias = ops.floats(1, L.fields * D);
  ops.combine(L, weights, biases, w, combined, combined_bias);
  for (int64_t f = 0; f < L.fields; ++f) {
    ops.gemm(false, true, L.batch, D, K, 1.0f, e + f * K, L.fields * K, combined + f * D * K, K, 0.0f, out + f * D,
             L.fields * D, combined_bias + f * D);
  }
}

// Batch-sized: G_f = dout_fᵀ e_f (D × K), g_f = Σ_b dout_f[b], de_f = dout_f W̃_f.
// Matrix-sized (distribute): dW_fm = w_fm G_f[:, block m], db_fm = w_fm g_f,
// dw_fm = ⟨G_f[:, block m], W_fm⟩ + ⟨g_f, b_fm⟩.
template <typename Ops>
void project_and_mix_backward_plan(Ops& ops, const MixtureLayout& L, const float* e, const float* weights,
                                   const float* biases, const float* w, const float* dout, float* de, float* dweights,
                                   float* dbiases, float* dw) {
  const int64_t D = L.dim, K = L.input_width;
  float* combined = ops.floats(0, L.fields * D * K);
  float* combined_bias = ops.floats(1, L.fields * D);
  float* sums = ops.floats(2, L.fields * D * K);
  float* grad_sum = ops.floats(3, L.fields * D);
  if (L.batch == 0) {
    ops.fill(sums, L.fields * D * K, 0.0f);
    ops.fill(grad_sum, L.fields * D, 0.0f);
  } else {
    float* ones = ops.floats(4, L.batch);
    ops.fill(ones, L.batch, 1.0f);
    ops.combine(L, weights, biases, w, combined, combined_bias);
    for (int64_t f = 0; f < L.fields; ++f) {
      const float* dout_f = dout + f * D;
      ops.gemm(true, false, D, K, L.batch, 1.0f, dout_f, L.fields * D, e + f * K, L.fields * K, 0.0f,
               sums + f * D * K, K, nullptr);
      ops.gemm(false, false, 1, D, L.batch, 1.0f, ones, L.batch, dout_f, L.fields * D, 0.0f, grad_sum + f * D, D,
               nullptr);
      ops.gemm(false, false, L.batch, K, D, 1.0f, dout_f, L.fields * D, combined + f * D * K, K, 0.0f, de + f * K,
               L.fields * K, nullptr);
    }
  }
  ops.distribute(L, weights, biases, w, sums, grad_sum, dweights, dbiases, dw);
}

}  // namespace mixdim
