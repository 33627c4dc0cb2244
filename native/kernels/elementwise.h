// Elementwise arithmetic over float32 arrays: z = α·x + β·y and z = x ⊙ y. Bandwidth-bound
// (12 bytes per element). Gradient accumulation (β = 1, z = y) and scaling (β = 0) are special cases.
#pragma once

#include "hd.h"

namespace mixdim {

MIXDIM_HD float linear_combination(float alpha, float x, float beta, float y) {
  // beta = 0 must ignore y entirely (it may be an uninitialised output holding NaN).
  return beta == 0.0f ? alpha * x : alpha * x + beta * y;
}

MIXDIM_HD float product(float x, float y) { return x * y; }

}  // namespace mixdim
