// Gumbel noise g = −log(−log u), u ~ U(0, 1), for the Gumbel-softmax of AutoDim.
//
// Each draw is a pure function of (seed, step, field, candidate): Philox4x32-10 with key = seed
// and counter = (step, field, candidate, "gumb"), so the noise does not depend on which thread or
// device draws it. One draw per (step, field, candidate), as the references draw noise of α's shape
// once per batch.
//
// The two logarithms are evaluated here with IEEE basic operations in double precision (no libm),
// because the host's logf and CUDA's logf may differ in the last bit; with basic operations only and
// contraction off on both sides (-ffp-contract=off, --fmad=false) the CPU and CUDA produce the very
// same float. The cost is irrelevant: F·M draws per optimizer step.
#pragma once

#include <stdint.h>
#include <string.h>

#include "hd.h"
#include "philox.h"

namespace mixdim {

constexpr uint32_t kGumbelStream = 0x67756D62u;  // "gumb"

// Natural log of a positive, finite, normal double, to about 1 ulp, with + − × ÷ only:
// x = 2^e · m with m ∈ [√½, √2), log m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| < 0.1716, and
// the odd series 2s·Σ_{i≤11} s^{2i}/(2i + 1) truncated where the next term is below 2^−60.
MIXDIM_HD double portable_log(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof(bits));
  int64_t exponent = static_cast<int64_t>((bits >> 52) & 0x7FF) - 1023;
  bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;  // m ∈ [1, 2)
  double m;
  memcpy(&m, &bits, sizeof(m));
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    exponent += 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double series = 1.0 / 23.0;
  series = series * z + 1.0 / 21.0;
  series = series * z + 1.0 / 19.0;
  series = series * z + 1.0 / 17.0;
  series = series * z + 1.0 / 15.0;
  series = series * z + 1.0 / 13.0;
  series = series * z + 1.0 / 11.0;
  series = series * z + 1.0 / 9.0;
  series = series * z + 1.0 / 7.0;
  series = series * z + 1.0 / 5.0;
  series = series * z + 1.0 / 3.0;
  series = series * z + 1.0;
  // ln 2 split so that exponent·ln2_hi is exact for |exponent| < 2^11.
  const double ln2_hi = 6.93147180369123816490e-01;
  const double ln2_lo = 1.90821492927058770002e-10;
  const double e = static_cast<double>(exponent);
  return (e * ln2_hi + (2.0 * s * series + e * ln2_lo));
}

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
