// Losses whose forward pass also writes the gradient, since training always needs both.
//
//   MSE on sigmoid:  l = (σ(z) − y)²                              dz = 2(σ(z) − y)·σ(z)(1 − σ(z))
//   BCE with logits: l = max(z, 0) − z·y + log(1 + e^−|z|)        dz = σ(z) − y
//   softmax CE:      l = logsumexp(z) − z_label                   dz_k = softmax(z)_k − [k = label]
//   BPR:             l = softplus(neg − pos)                      dneg = σ(neg − pos) = −dpos
//
// Every gradient is multiplied by `scale` (1, or 1/N for a mean). Per-sample losses are computed
// in float and summed in double in a fixed order by the kernels. One read of each input and one
// write of each gradient (and per-sample loss when asked); on CUDA that bandwidth bounds it, on the
// CPU the one expf (and log1pf) per item does: about 7 ns per item per core for MSE and 25 for BCE
// and BPR (glibc's log1pf), measured on the shared, loaded 2-core development host.
#pragma once

#include <math.h>
#include <stdint.h>

#include "activation.h"
#include "hd.h"

namespace mixdim {

enum BinaryLossKind : int32_t { kMseSigmoid = 0, kBceWithLogits = 1 };

// σ(x) from e = e^−|x|. BCE and BPR need e for their softplus too, as softplus(x) = log(1 + eˣ) =
// max(x, 0) + log1p(e^−|x|), which neither overflows nor loses small values: one expf per item.
MIXDIM_HD float sigmoid_from_exp(float x, float e) { return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e); }

// A label that MSE on sigmoid and BCE accept: a number in [0, 1] (NaN fails).
MIXDIM_HD bool valid_binary_label(float y) { return y >= 0.0f && y <= 1.0f; }

MIXDIM_HD bool finite_logit(float z) { return isfinite(z); }

// The loss l(z, y) and, in *dz, scale·∂l/∂z.
MIXDIM_HD float binary_loss(int32_t kind, float z, float y, float scale, float* dz) {
  if (kind == kMseSigmoid) {
    const float s = activation_forward(kSigmoid, z);
    const float d = s - y;
    *dz = scale * 2.0f * d * s * (1.0f - s);
    return d * d;
  }
  const float e = expf(-fabsf(z));
  *dz = scale * (sigmoid_from_exp(z, e) - y);
  return fmaxf(z, 0.0f) - z * y + log1pf(e);
}

// BPR for one (pos, neg) pair: returns softplus(neg − pos) (stable form); *dneg = scale·σ(neg − pos), *dpos = −*dneg.
MIXDIM_HD float bpr_loss(float pos, float neg, float scale, float* dpos, float* dneg) {
  const float x = neg - pos;
  const float e = expf(-fabsf(x));
  const float g = scale * sigmoid_from_exp(x, e);
  *dpos = -g;
  *dneg = g;
  return fmaxf(x, 0.0f) + log1pf(e);
}

// Softmax CE for one row of k logits: returns logsumexp(z) − z[label] and, when dz is not null,
// writes dz_j = scale·(softmax(z)_j − [j = label]).
MIXDIM_HD float softmax_cross_entropy_row(const float* z, int64_t k, int32_t label, float scale, float* dz) {
  float top = z[0];
  for (int64_t j = 1; j < k; ++j) top = fmaxf(top, z[j]);
  float total = 0.0f;
  for (int64_t j = 0; j < k; ++j) {
    const float e = expf(z[j] - top);
    if (dz != nullptr) dz[j] = e;  // kept, so the gradient takes no second expf
    total += e;
  }
  if (dz != nullptr) {
    const float inverse = 1.0f / total;
    for (int64_t j = 0; j < k; ++j) dz[j] = scale * (dz[j] * inverse - (j == label ? 1.0f : 0.0f));
  }
  return (top - z[label]) + logf(total);
}

// One item of each loss as the CPU and CUDA kernels run it: checks the inputs (setting *invalid to
// the slot native/ops/loss.h defines for a bad one), writes the optional outputs, returns l_i.
MIXDIM_HD float binary_loss_item(int32_t kind, const float* z, const float* y, float* dz, float* losses, float scale,
                                 int64_t i, int64_t* invalid) {
  if (!finite_logit(z[i])) *invalid = 2 * i;
  else if (!valid_binary_label(y[i])) *invalid = 2 * i + 1;
  float grad;
  const float loss = binary_loss(kind, z[i], y[i], scale, &grad);
  if (dz != nullptr) dz[i] = grad;
  if (losses != nullptr) losses[i] = loss;
  return loss;
}

MIXDIM_HD float bpr_loss_item(const float* pos, const float* neg, float* dpos, float* dneg, float* losses, float scale,
                              int64_t i, int64_t* invalid) {
  if (!finite_logit(pos[i])) *invalid = 2 * i;
  else if (!finite_logit(neg[i])) *invalid = 2 * i + 1;
  float grad_pos;
  float grad_neg;
  const float loss = bpr_loss(pos[i], neg[i], scale, &grad_pos, &grad_neg);
  if (dpos != nullptr) {
    dpos[i] = grad_pos;
    dneg[i] = grad_neg;
  }
  if (losses != nullptr) losses[i] = loss;
  return loss;
}

// Row i of softmax CE; a label outside [0, k) is reported and its row left unread and unwritten.
MIXDIM_HD float softmax_cross_entropy_item(const float* z, const int32_t* labels, float* dz, float* losses, int64_t k,
                                           float scale, int64_t i, int64_t* invalid) {
  const float* row = z + i * k;
  for (int64_t j = 0; j < k; ++j) {
    if (!finite_logit(row[j])) {
      *invalid = i * (k + 1) + j;
      break;
    }
  }
  const int32_t label = labels[i];
  if (label < 0 || label >= k) {
    if (*invalid < 0) *invalid = i * (k + 1) + k;
    return 0.0f;
  }
  const float loss = softmax_cross_entropy_row(row, k, label, scale, dz != nullptr ? dz + i * k : nullptr);
  if (losses != nullptr) losses[i] = loss;
  return loss;
}

}  // namespace mixdim
