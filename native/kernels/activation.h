// Elementwise activations. Backward passes read the forward output y, which every one of these
// determines its derivative from, so the input need not be kept. Bandwidth-bound: one read and
// one write per element forward, two reads and one write backward, once tanh is a rational
// function rather than a libm call (glibc's tanhf cost ~20 ns an element, a third of a
// recommender's training step).
#pragma once

#include <math.h>
#include <stdint.h>

#include "hd.h"

namespace mixdim {

enum ActivationKind : int32_t { kRelu = 0, kTanh = 1, kSigmoid = 2 };

MIXDIM_HD float relu_forward(float x) { return x > 0.0f ? x : 0.0f; }

// tanh as a [13/6] rational minimax approximation on |x| ≤ 7.905, where float tanh reaches ±1
// (coefficients of Eigen's ptanh_float); max error about 2 ulp. Horner steps are explicit fmaf
// (one rounding each, so the CPU's FMA and CUDA's give the same bits; both builds contract
// nothing else) and one divide: the CPU loop vectorises, and the fused steps make it ~1.5× faster
// than separate multiplies and adds where it sits behind batch norm.
MIXDIM_HD float tanh_forward(float x) {
  const float clamp = 7.90531110763549805f;
  const float low = x < -clamp ? -clamp : x;
  const float c = low > clamp ? clamp : low;
  const float x2 = c * c;
  float p = -2.76076847742355e-16f;
  p = fmaf(p, x2, 2.00018790482477e-13f);
  p = fmaf(p, x2, -8.60467152213735e-11f);
  p = fmaf(p, x2, 5.12229709037114e-08f);
  p = fmaf(p, x2, 1.48572235717979e-05f);
  p = fmaf(p, x2, 6.37261928875436e-04f);
  p = fmaf(p, x2, 4.89352455891786e-03f);
  p = p * c;
  float q = 1.19825839466702e-06f;
  q = fmaf(q, x2, 1.18534705686654e-04f);
  q = fmaf(q, x2, 2.26843463243900e-03f);
  q = fmaf(q, x2, 4.89352518554385e-03f);
  // Below 4e-4, tanh(x) rounds to x in float.
  const float ratio = p / q;
  const float magnitude = c < 0.0f ? -c : c;
  return magnitude < 0.0004f ? c : ratio;
}

MIXDIM_HD float sigmoid_forward(float x) { return 1.0f / (1.0f + expf(-x)); }

MIXDIM_HD float activation_forward(int32_t kind, float x) {
  switch (kind) {
    case kRelu: return relu_forward(x);
    case kTanh: return tanh_forward(x);
    default: return sigmoid_forward(x);
  }
}

// dL/dx from y = f(x) and dL/dy: relu' = [y > 0], tanh' = 1 − y², sigmoid' = y(1 − y).
MIXDIM_HD float activation_backward(int32_t kind, float y, float dy) {
  switch (kind) {
    case kRelu: return y > 0.0f ? dy : 0.0f;
    case kTanh: return dy * (1.0f - y * y);
    default: return dy * y * (1.0f - y);
  }
}

}  // namespace mixdim
