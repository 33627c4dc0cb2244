// ESAPN's projection chain: candidate sizes d_0 < … < d_{n−1} and links W_k (d_{k+1} × d_k) with
// biases b_k, k = 0..n−2, and no nonlinearity. A row e at size d_k reaches the full size as
//   e_{n−1} = M_k e + c_k,   M_k = W_{n−2}⋯W_k (d_{n−1} × d_k),   c_k = Σ_{i=k}^{n−2} W_{n−2}⋯W_{i+1} b_i,
// with M_{n−1} = I and c_{n−1} = 0 (methods.md B §1, A3.3).
//
// Bounds: precomposing is matrix-sized (Σ_k d_{n−1}·d_k·d_{k+1} multiply-adds per optimizer step).
// The forward pass costs d_{n−1}·d_k multiply-adds per row of class k (256 for a row at 2 with
// {2,4,8,16,64,128}), the step-by-step chain Σ_{j≥k} d_j·d_{j+1} (9,384). The step-by-step chain is
// GEMM-bound. The precomposed forward of a small class (d_k ≤ 16, fused) is bound by writing the
// d_{n−1}-float output row: measured on 2 Zen 4 cores at B = 16384, rows at 2, ~0.36 ms (~24 GB/s of
// output, which stays in L3 between calls), 14–27× the step-by-step chain (docs/gumbel_and_chain.md §3).
//
// Packed layouts (all row-major float32):
//   weights   W_0 | W_1 | … | W_{n−2}        W_k is d_{k+1} × d_k
//   biases    b_0 | b_1 | … | b_{n−2}        b_k has d_{k+1}
//   matrices  M_0 | M_1 | … | M_{n−1}        M_k is d_{n−1} × d_k (M_{n−1} = I)
//   offsets   c_0 | c_1 | … | c_{n−1}        each d_{n−1}
#pragma once

#include <stdint.h>

#include "hd.h"

namespace mixdim {

constexpr int32_t kMaxChainClasses = 64;

struct ChainLayout {
  int32_t classes = 0;
  int32_t dims[kMaxChainClasses] = {};
  int64_t weight_offsets[kMaxChainClasses] = {};  // start of W_k in the packed weights
  int64_t bias_offsets[kMaxChainClasses] = {};    // start of b_k in the packed biases
  int64_t matrix_offsets[kMaxChainClasses] = {};  // start of M_k in the packed matrices
  int64_t weight_count = 0;
  int64_t bias_count = 0;
  int64_t matrix_count = 0;

  int32_t full() const { return dims[classes - 1]; }
};

// The layout of strictly increasing `dims` (the caller checks the order and the count).
inline ChainLayout chain_layout(const int32_t* dims, int32_t classes) {
  ChainLayout layout;
  layout.classes = classes;
  for (int32_t k = 0; k < classes; ++k) layout.dims[k] = dims[k];
  const int64_t full = dims[classes - 1];
  for (int32_t k = 0; k < classes; ++k) {
    layout.weight_offsets[k] = layout.weight_count;
    layout.bias_offsets[k] = layout.bias_count;
    layout.matrix_offsets[k] = layout.matrix_count;
    if (k + 1 < classes) {
      layout.weight_count += static_cast<int64_t>(dims[k + 1]) * dims[k];
      layout.bias_count += dims[k + 1];
    }
    layout.matrix_count += full * dims[k];
  }
  return layout;
}

// Row copies between a strided matrix and a packed block, through an index list:
// gather: block[i, c] = src[index[i], c]; scatter: dst[index[i], c] = block[i, c]; for c < width.
MIXDIM_HD void gather_element(const float* src, int64_t src_stride, const int32_t* index, int64_t width, float* block,
                              int64_t element) {
  const int64_t i = element / width;
  const int64_t c = element - i * width;
  block[element] = src[static_cast<int64_t>(index[i]) * src_stride + c];
}

MIXDIM_HD void scatter_element(const float* block, const int32_t* index, int64_t width, float* dst,
                               int64_t dst_stride, int64_t element) {
  const int64_t i = element / width;
  const int64_t c = element - i * width;
  dst[static_cast<int64_t>(index[i]) * dst_stride + c] = block[element];
}

// One output of the fused small-class forward: out[index[i], r] = c_k[r] + Σ_c M_k[r, c]·rows[index[i], c].
MIXDIM_HD float chain_row_output(const float* m, const float* c, int64_t dk, const float* rows, int64_t row_width,
                                 const int32_t* index, int64_t i, int64_t r) {
  const float* e = rows + static_cast<int64_t>(index[i]) * row_width;
  const float* mr = m + r * dk;
  float total = c[r];
  for (int64_t col = 0; col < dk; ++col) total += e[col] * mr[col];
  return total;
}

}  // namespace mixdim
