// Gumbel noise g = −log(−log u), u ~ U(0, 1), for the Gumbel-softmax of AutoDim.
//
// Each draw is a pure function of (seed, step, field, candidate): Philox4x32-10 with key = seed
// and counter = (step, field, candidate, "gumb"), so the noise does not depend on which thread or
// device draws it. One draw per (step, field, candidate), as the references draw noise of α's shape
// once per batch.
//
// The two logarithms are portable_log (portable_math.h), not logf, so that the CPU and CUDA produce
// the very same float. The cost is irrelevant: F·M draws per optimizer step.
#pragma once

#include <stdint.h>

#include "hd.h"
#include "philox.h"
#include "portable_math.h"

namespace mixdim {

constexpr uint32_t kGumbelStream = 0x67756D62u;  // "gumb"

// The uniform draw in (0, 1) behind the Gumbel noise of (step, field, candidate).
MIXDIM_HD float gumbel_uniform(uint64_t seed, uint32_t step, uint32_t field, uint32_t candidate) {
  return philox_uniform_open(philox4x32(seed, step, field, candidate, kGumbelStream).v[0]);
}

// g = −log(−log u). u ∈ [2^−25, 1 − 2^−25], so g ∈ [−2.88, 17.3]: always finite.
MIXDIM_HD float gumbel_noise(uint64_t seed, uint32_t step, uint32_t field, uint32_t candidate) {
  const double u = static_cast<double>(gumbel_uniform(seed, step, field, candidate));
  return static_cast<float>(-portable_log(-portable_log(u)));
}

}  // namespace mixdim
