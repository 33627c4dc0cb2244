// Mixed-dimension lookup: out[b, j] = E[ids[b]][j] for j < d(ids[b]), and 0 for d(ids[b]) <= j < d_max.
//
// Bandwidth-bound: it reads Σ_b d(ids[b])·4 bytes of rows and writes B·d_max·4 bytes of
// output, with no arithmetic. A row at size d counts as zero beyond d, which is what
// every consumer (padding, prefix masks, LightGCN propagation) expects.
#pragma once

#include "hd.h"

namespace mixdim {

MIXDIM_HD float padded_row_element(const float* row, int dim, int j) {
  return j < dim ? row[j] : 0.0f;
}

}  // namespace mixdim
