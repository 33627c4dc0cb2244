// Elementwise activations. Backward passes read the forward output y, which every one of these
// determines its derivative from, so the input need not be kept. Bandwidth-bound: one read and
// one write per element forward, two reads and one write backward.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hd.h"

namespace mixdim {

enum ActivationKind : int32_t { kRelu = 0, kTanh = 1, kSigmoid = 2 };

MIXDIM_HD float activation_forward(int32_t kind, float x) {
  switch (kind) {
    case kRelu: return x > 0.0f ? x : 0.0f;
    case kTanh: return tanhf(x);
    default: return 1.0f / (1.0f + expf(-x));
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
