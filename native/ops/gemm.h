// The GEMM kernel signature, shared by its CPU and CUDA registrations and by the ops built on it,
// and the bias gradient that pairs with GEMM's bias in a Linear layer's backward pass.
#pragma once

#include <stdint.h>

namespace mixdim {

// Row-major: C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, then + bias[n] on every row
// when bias is not null. op(X) is X or Xᵀ; lda, ldb and ldc are the row strides of A, B and C
// as stored (A is m×k, or k×m when transposed). beta = 0 ignores C's old values, NaN included.
// k = 0 or alpha = 0 leaves C = beta · C (+ bias) without reading A or B.
using GemmKernel = void(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                        int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                        const float* bias);

// db[j] = Σ_i dy[i, j] over the rows of a row-major dy[rows × cols], in the fixed order of
// native/kernels/gemm_bias.h (the same on every backend and thread count).
using BiasGradientKernel = void(const float* dy, int64_t rows, int64_t cols, float* db);

constexpr const char* kGemm = "gemm";
constexpr const char* kBiasGradient = "bias_gradient";

}  // namespace mixdim
