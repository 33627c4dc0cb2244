// The bias gradient db[j] = Σ_i dy[i, j], in one summation order for every backend: row i goes
// to partial sum s[i mod 8] in ascending i, then db[j] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)).
// The CUDA kernel gives each of 8 thread rows one partial sum; the CPU keeps 8 partial rows. Both
// therefore produce the same bits. Bandwidth-bound: one read of dy.
#pragma once

#include "hd.h"

namespace mixdim {

constexpr int kBiasGradientLanes = 8;

// s points at kBiasGradientLanes partial sums, stride apart.
MIXDIM_HD float bias_gradient_combine(const float* s, int stride) {
  return ((s[0] + s[stride]) + (s[2 * stride] + s[3 * stride])) +
         ((s[4 * stride] + s[5 * stride]) + (s[6 * stride] + s[7 * stride]));
}

}  // namespace mixdim
