// Row-wise softmax over the last dimension, y_j = exp(x_j − max_k x_k) / Σ_k exp(x_k − max_k x_k):
// subtracting the row's maximum keeps every exp ≤ 1, so no row overflows. Backward from the
// output: dx_j = y_j · (dy_j − Σ_k dy_k · y_k). Bandwidth-bound for the widths recommenders use
// (one read and one write per element forward, two reads and a write backward, with the row
// re-read from cache). A row whose maximum is +∞ or whose entries are all −∞ yields NaN.
#pragma once

#include <math.h>

#include "hd.h"

namespace mixdim {

MIXDIM_HD float softmax_numerator(float x, float row_max) { return expf(x - row_max); }

MIXDIM_HD float softmax_backward(float y, float dy, float dot) { return y * (dy - dot); }

}  // namespace mixdim
