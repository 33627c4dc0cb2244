// Dense optimizer updates over flat float32 parameters, in place, with PyTorch's semantics.
//
//   SGD:   d = g + λ·w;  with momentum μ > 0: buf ← μ·buf + d, d = buf;  w ← w − lr·d
//          (torch.optim.SGD with dampening 0: its first step's buf = d equals μ·0 + d.)
//   Adam:  coupled (torch.optim.Adam):    g ← g + λ·w
//          decoupled (torch.optim.AdamW): w ← w·(1 − lr·λ)
//          m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//          w ← w − (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + ε),  bc_k = 1 − β_k^t for step t ≥ 1
//   Adagrad (torch.optim.Adagrad, lr_decay 0, initial accumulator 0):
//          g ← g + λ·w;  G ← G + g²;  w ← w − lr · g / (sqrt(G) + ε)
//   Clipping (clip_grad_norm_): n = sqrt(Σ g²) over all the gradients, in double;
//          when maxNorm / (n + 1e-6) < 1 every gradient is multiplied by it.
//
// Bandwidth-bound: SGD moves 12 bytes per element (16 with momentum), Adam 28.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hd.h"

namespace mixdim {

struct DenseSgdStep {
  float learning_rate;
  float momentum;      // used only when the caller passes a momentum buffer
  float weight_decay;
};

struct DenseAdamStep {
  float beta1;
  float beta2;
  float eps;
  float weight_decay;
  bool decoupled;
  float decay_factor;               // 1 − lr·λ, for the decoupled form
  float step_size;                  // lr / (1 − β1^t)
  float inverse_sqrt_correction2;   // 1 / sqrt(1 − β2^t)
};

// momentum_buffer may be null (plain SGD).
MIXDIM_HD void dense_sgd_update(float* w, float g, float* momentum_buffer, const DenseSgdStep& s) {
  float d = g + s.weight_decay * *w;
  if (momentum_buffer != nullptr) {
    *momentum_buffer = s.momentum * *momentum_buffer + d;
    d = *momentum_buffer;
  }
  *w -= s.learning_rate * d;
}

MIXDIM_HD void dense_adam_update(float* w, float* m, float* v, float g, const DenseAdamStep& s) {
  if (s.decoupled) {
    *w *= s.decay_factor;
  } else {
    g += s.weight_decay * *w;
  }
  *m = s.beta1 * *m + (1.0f - s.beta1) * g;
  *v = s.beta2 * *v + (1.0f - s.beta2) * g * g;
  *w -= s.step_size * *m / (sqrtf(*v) * s.inverse_sqrt_correction2 + s.eps);
}

struct DenseAdagradStep {
  float learning_rate;
  float eps;
  float weight_decay;
};

MIXDIM_HD void dense_adagrad_update(float* w, float* sum, float g, const DenseAdagradStep& s) {
  g += s.weight_decay * *w;
  *sum += g * g;
  *w -= s.learning_rate * g / (sqrtf(*sum) + s.eps);
}

// The factor clip_grad_norm_ scales by: min(1, max_norm / (norm + 1e-6)); 1 for a non-finite norm,
// which is left for the caller to see rather than spread into every gradient.
MIXDIM_HD double clip_factor(double norm, double max_norm) {
  if (!isfinite(norm)) return 1.0;
  const double factor = max_norm / (norm + 1e-6);
  return factor < 1.0 ? factor : 1.0;
}

}  // namespace mixdim
