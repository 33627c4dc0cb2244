// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11).
//
// A draw is a pure function of (seed, counter), so a CPU thread and a CUDA thread
// that ask for the same counter get the same bits, whatever the thread layout.
// Embedding initialisation and Gumbel noise both key their counters by
// (row or sample, element), which keeps every run seeded and device-independent.
#pragma once

#include <math.h>
#include <stdint.h>

#include "hd.h"
#include "portable_math.h"

namespace mixdim {

struct PhiloxOutput {
  uint32_t v[4];
};

MIXDIM_HD void philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  const uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(product >> 32);
  *lo = static_cast<uint32_t>(product);
}

// Ten rounds of Philox4x32 on counter (c0, c1, c2, c3) with a 64-bit key.
MIXDIM_HD PhiloxOutput philox4x32(uint64_t key, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3) {
  uint32_t k0 = static_cast<uint32_t>(key);
  uint32_t k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, &hi0, &lo0);
    philox_mulhilo(0xCD9E8D57u, c2, &hi1, &lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0;
    const uint32_t n1 = lo1;
    const uint32_t n2 = hi0 ^ c3 ^ k1;
    const uint32_t n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  PhiloxOutput out;
  out.v[0] = c0; out.v[1] = c1; out.v[2] = c2; out.v[3] = c3;
  return out;
}

// Maps 32 random bits to a float in the open interval (0, 1): never 0, so log() is safe.
MIXDIM_HD float philox_uniform_open(uint32_t bits) {
  return (static_cast<float>(bits >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

// One standard normal draw for (key, a, b) by Box-Muller on the first two lanes:
// √(−2 ln u1) · cos(2π u2), in double with the portable log and cosine, rounded once to float.
MIXDIM_HD float philox_normal(uint64_t key, uint32_t a, uint32_t b) {
  const PhiloxOutput r = philox4x32(key, a, b, 0x6E6F726Du /* "norm" */, 0u);
  const double u1 = philox_uniform_open(r.v[0]);
  const double u2 = philox_uniform_open(r.v[1]);
  const double radius = sqrt(-2.0 * portable_log(u1));
  return static_cast<float>(radius * portable_cos_2pi(u2));
}

}  // namespace mixdim
