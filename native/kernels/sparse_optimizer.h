// Row-sparse optimizer updates, applied only to the rows a batch touched (FBGEMM TBE style).
//
// Each update reads a row's summed gradient g once and writes the row and its state once,
// so a fused backward+step is bandwidth-bound at about (2 + 2·#moments)·d·4 bytes per
// unique row. Weight decay is the L2 kind (g ← g + λ·w), as in FBGEMM's L2 mode and
// PyTorch's Adam(weight_decay); it applies to touched rows only, which is what "lazy" means.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hd.h"

namespace mixdim {

enum SparseOptimizerKind : int32_t {
  kSparseSgd = 0,
  kLazyAdam = 1,           // per-element m, v; bias correction from the store's global step
  kRowwiseAdagrad = 2,     // one accumulator per row: G += mean_j(g_j²)
};

struct SparseOptimizerStep {
  int32_t kind;
  float learning_rate;
  float beta1;
  float beta2;
  float eps;
  float weight_decay;
  float bias_correction1;  // 1 - β1^t for the step t being taken
  float bias_correction2;  // 1 - β2^t
};

MIXDIM_HD float decayed_gradient(float g, float w, const SparseOptimizerStep& s) {
  return g + s.weight_decay * w;
}

MIXDIM_HD void sgd_update(float* w, float g, const SparseOptimizerStep& s) {
  *w -= s.learning_rate * decayed_gradient(g, *w, s);
}

// m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  w ← w - lr · (m / bc1) / (sqrt(v / bc2) + ε)
MIXDIM_HD void lazy_adam_update(float* w, float* m, float* v, float g, const SparseOptimizerStep& s) {
  const float gd = decayed_gradient(g, *w, s);
  *m = s.beta1 * *m + (1.0f - s.beta1) * gd;
  *v = s.beta2 * *v + (1.0f - s.beta2) * gd * gd;
  const float m_hat = *m / s.bias_correction1;
  const float v_hat = *v / s.bias_correction2;
  *w -= s.learning_rate * m_hat / (sqrtf(v_hat) + s.eps);
}

// Row-wise Adagrad first reduces the row: G ← G + (1/d) Σ_j g_j². This is one term of it.
MIXDIM_HD float rowwise_adagrad_square(float g, float w, const SparseOptimizerStep& s) {
  const float gd = decayed_gradient(g, w, s);
  return gd * gd;
}

// ...then every element moves by w ← w - lr · g / (sqrt(G) + ε) with the updated G.
MIXDIM_HD void rowwise_adagrad_update(float* w, float g, float accumulated, const SparseOptimizerStep& s) {
  *w -= s.learning_rate * decayed_gradient(g, *w, s) / (sqrtf(accumulated) + s.eps);
}

}  // namespace mixdim
