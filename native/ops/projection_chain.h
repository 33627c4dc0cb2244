// The projection chain's kernel signatures, shared by its CPU and CUDA registrations.
// Layouts: native/kernels/projection_chain.h. `row_class` is always host memory (the class index
// of each row, checked by the binding); every other pointer lives on the kernel's device. Rows
// are [batch, row_width] with row_width ≥ d_{n−1}; a row of class k uses its first d_k columns.
#pragma once

#include <stdint.h>

#include "../kernels/projection_chain.h"

namespace mixdim {

// matrices = M_0 | … | M_{n−1}, offsets = c_0 | … | c_{n−1}.
using ChainPrecomposeKernel = void(const ChainLayout& layout, const float* weights, const float* biases,
                                   float* matrices, float* offsets);
// out[b] = M_k rows[b, :d_k] + c_k, k = row_class[b]; out is [batch, d_{n−1}].
using ChainForwardKernel = void(const ChainLayout& layout, const float* matrices, const float* offsets, int64_t batch,
                                int64_t row_width, const float* rows, const int32_t* row_class, float* out);
// The same out by applying W_k, W_{k+1}, … in turn (the reference path).
using ChainStepwiseForwardKernel = void(const ChainLayout& layout, const float* weights, const float* biases,
                                        int64_t batch, int64_t row_width, const float* rows,
                                        const int32_t* row_class, float* out);
// One link: out[b, :d_{k+1}] = W_k rows[b, :d_k] + b_k and zeros after; a row of the last class is
// copied. out is [batch, row_width].
using ChainLinkKernel = void(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                             int64_t row_width, const float* rows, const int32_t* row_class, float* out);
// Gradients of Σ_b ⟨dout[b], out[b]⟩: drows [batch, row_width] (zero beyond each row's size),
// dweights and dbiases packed like weights and biases. Overwrites all three.
using ChainBackwardKernel = void(const ChainLayout& layout, const float* weights, const float* biases,
                                 const float* matrices, int64_t batch, int64_t row_width, const float* rows,
                                 const int32_t* row_class, const float* dout, float* drows, float* dweights,
                                 float* dbiases);

constexpr const char* kChainPrecompose = "chain_precompose";
constexpr const char* kChainForward = "chain_forward";
constexpr const char* kChainStepwiseForward = "chain_stepwise_forward";
constexpr const char* kChainLink = "chain_link";
constexpr const char* kChainBackward = "chain_backward";

}  // namespace mixdim
