// Logarithm and cosine from IEEE basic operations (+ − × ÷ and sqrt) in double precision, no libm.
//
// The host's logf/cosf and CUDA's differ in the last bit, and a draw that must depend only on
// (seed, counter) cannot depend on which device computed it. Basic operations are correctly rounded
// on both, and with contraction off on both sides (-ffp-contract=off, --fmad=false) the CPU and CUDA
// evaluate these to the very same double. test/support/philox.ts transcribes them operation for
// operation, so JavaScript's doubles reproduce the same bits too.
#pragma once

#include <stdint.h>
#include <string.h>

#include "hd.h"

namespace mixdim {

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

// cos(2π·u) for u ∈ [0, 1], to about 1 ulp. The reductions are exact: u − 1, |v|, 0.5 − a and 0.25 − a
// lose no bits for u a float, so only the final series rounds. With x = 2π·a ≤ π/4 and z = x²,
// cos x = 1 − z/(1·2)·(1 − z/(3·4)·(1 − …)) and sin x = x·(1 − z/(2·3)·(1 − z/(4·5)·(1 − …))), ten
// factors each: the first term left out is below 2^−60.
MIXDIM_HD double portable_cos_2pi(double u) {
  const double v = u > 0.5 ? u - 1.0 : u;  // cos(2πu) = cos(2πv), v ∈ (−½, ½]
  double a = v < 0.0 ? -v : v;             // cos is even
  double sign = 1.0;
  if (a > 0.25) {                          // cos(2πa) = −cos(2π(½ − a))
    a = 0.5 - a;
    sign = -1.0;
  }
  const bool use_sine = a > 0.125;         // cos(2πa) = sin(2π(¼ − a)), so that x ≤ π/4 either way
  const double x = (use_sine ? 0.25 - a : a) * 6.283185307179586;
  const double z = x * x;
  double series = 1.0;
  for (int k = 10; k >= 1; --k) {
    const double k2 = 2.0 * k;
    series = 1.0 - z / (use_sine ? k2 * (k2 + 1.0) : (k2 - 1.0) * k2) * series;
  }
  return sign * (use_sine ? x * series : series);
}

}  // namespace mixdim
