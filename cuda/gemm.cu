// GEMM and the bias gradient on CUDA.
//
// GEMM: C = alpha · op(A) · op(B) + beta · C (+ bias on every row), as native/ops/gemm.h states.
// Each block of 16×16 threads computes a 64×64 tile of C; each thread a 4×4 sub-tile at stride 16
// (rows ty + 16r, columns tx + 16c), so a warp's shared-memory reads of B are 16 consecutive words
// and of A at most two broadcast words: no bank conflicts. k advances in steps of 16 through shared
// tiles As[16][64] and Bs[16][64], loaded so that consecutive threads read consecutive addresses
// for every transpose combination (the template arguments pick the mapping). Each output sums its
// k in ascending order, so results do not depend on the launch shape. Arithmetic-bound with 4×4
// register tiles; untuned against cuBLAS (not measured: no GPU on the development machine).
//
// Bias gradient: db[j] = Σ_i dy[i, j] in the order of native/kernels/gemm_bias.h: a block of 32×8
// threads owns 32 columns; thread row ty sums rows i ≡ ty (mod 8), then one thread per column
// combines the eight partial sums, giving the same bits as the CPU kernel.
#include <stdint.h>

#include <stdexcept>

#include "../native/kernel_registry.h"
#include "../native/kernels/gemm_bias.h"
#include "../native/ops/gemm.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kTile = 64;
constexpr int kStep = 16;
constexpr int kThreadsX = 16;
constexpr int kThreadsY = 16;
constexpr int kPerThread = kTile / kThreadsX;  // 4
constexpr int kLoadsPerThread = kTile * kStep / (kThreadsX * kThreadsY);  // 4
// gridDim.y is at most 65535: column tiles beyond it are walked by a grid-stride loop.
constexpr int64_t kMaxGridY = 65535;

template <bool TransA, bool TransB>
__global__ void __launch_bounds__(kThreadsX* kThreadsY)
    gemm_kernel(int64_t m, int64_t n, int64_t k, float alpha, const float* __restrict__ a, int64_t lda,
                const float* __restrict__ b, int64_t ldb, float beta, float* __restrict__ c, int64_t ldc,
                const float* __restrict__ bias) {
  __shared__ float as[kStep][kTile + 1];
  __shared__ float bs[kStep][kTile + 1];
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  const int t = ty * kThreadsX + tx;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t column_tiles = (n + kTile - 1) / kTile;
  for (int64_t tile_j = blockIdx.y; tile_j < column_tiles; tile_j += gridDim.y) {
    const int64_t n0 = tile_j * kTile;
    float acc[kPerThread][kPerThread] = {};
    for (int64_t k0 = 0; k0 < k; k0 += kStep) {
#pragma unroll
      for (int l = 0; l < kLoadsPerThread; ++l) {
        const int e = t + l * kThreadsX * kThreadsY;
        // op(A)[m0 + i, k0 + p]: consecutive threads take consecutive addresses of A as stored.
        const int ai = TransA ? e % kTile : e / kStep;
        const int ap = TransA ? e / kTile : e % kStep;
        const int64_t gi = m0 + ai;
        const int64_t gp = k0 + ap;
        float av = 0.0f;
        if (gi < m && gp < k) av = TransA ? a[gp * lda + gi] : a[gi * lda + gp];
        as[ap][ai] = av;
        // op(B)[k0 + p, n0 + j]
        const int bj = TransB ? e / kStep : e % kTile;
        const int bp = TransB ? e % kStep : e / kTile;
        const int64_t gj = n0 + bj;
        const int64_t gq = k0 + bp;
        float bv = 0.0f;
        if (gj < n && gq < k) bv = TransB ? b[gj * ldb + gq] : b[gq * ldb + gj];
        bs[bp][bj] = bv;
      }
      __syncthreads();
#pragma unroll
      for (int p = 0; p < kStep; ++p) {
        float ar[kPerThread];
        float br[kPerThread];
#pragma unroll
        for (int r = 0; r < kPerThread; ++r) ar[r] = as[p][ty + kThreadsY * r];
#pragma unroll
        for (int q = 0; q < kPerThread; ++q) br[q] = bs[p][tx + kThreadsX * q];
#pragma unroll
        for (int r = 0; r < kPerThread; ++r) {
#pragma unroll
          for (int q = 0; q < kPerThread; ++q) acc[r][q] = fmaf(ar[r], br[q], acc[r][q]);
        }
      }
      __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < kPerThread; ++r) {
      const int64_t i = m0 + ty + kThreadsY * r;
      if (i >= m) continue;
#pragma unroll
      for (int q = 0; q < kPerThread; ++q) {
        const int64_t j = n0 + tx + kThreadsX * q;
        if (j >= n) continue;
        float* out = c + i * ldc + j;
        float value = alpha * acc[r][q];
        if (beta != 0.0f) value += beta * *out;
        if (bias != nullptr) value += bias[j];
        *out = value;
      }
    }
  }
}

// k = 0 or alpha = 0: C = beta · C + bias, A and B unread.
__global__ void gemm_scale_kernel(int64_t m, int64_t n, float beta, float* __restrict__ c, int64_t ldc,
                                  const float* __restrict__ bias) {
  for (int64_t e = grid_thread(); e < m * n; e += grid_threads()) {
    const int64_t i = e / n;
    const int64_t j = e - i * n;
    float* out = c + i * ldc + j;
    float value = beta == 0.0f ? 0.0f : beta * *out;
    if (bias != nullptr) value += bias[j];
    *out = value;
  }
}

void gemm_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    gemm_scale_kernel<<<elementwise_blocks(m * n), kElementwiseThreads>>>(m, n, beta, c, ldc, bias);
    finish("gemm_scale_kernel");
    return;
  }
  const int64_t row_tiles = (m + kTile - 1) / kTile;
  const int64_t column_tiles = (n + kTile - 1) / kTile;
  if (row_tiles > 0x7fffffff) throw std::range_error("gemm: m is too large for one CUDA launch");
  const dim3 grid(static_cast<unsigned int>(row_tiles),
                  static_cast<unsigned int>(column_tiles < kMaxGridY ? column_tiles : kMaxGridY));
  const dim3 block(kThreadsX, kThreadsY);
  if (!trans_a && !trans_b) {
    gemm_kernel<false, false><<<grid, block>>>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  } else if (!trans_a && trans_b) {
    gemm_kernel<false, true><<<grid, block>>>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  } else if (trans_a && !trans_b) {
    gemm_kernel<true, false><<<grid, block>>>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  } else {
    gemm_kernel<true, true><<<grid, block>>>(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  }
  finish("gemm_kernel");
}

constexpr int kBiasColumns = 32;

__global__ void bias_gradient_kernel(const float* __restrict__ dy, int64_t rows, int64_t cols,
                                     float* __restrict__ db) {
  __shared__ float partial[kBiasGradientLanes][kBiasColumns];
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  const int64_t strips = (cols + kBiasColumns - 1) / kBiasColumns;
  for (int64_t strip = blockIdx.x; strip < strips; strip += gridDim.x) {
    const int64_t j = strip * kBiasColumns + tx;
    float sum = 0.0f;
    if (j < cols) {
      for (int64_t i = ty; i < rows; i += kBiasGradientLanes) sum += dy[i * cols + j];
    }
    partial[ty][tx] = sum;
    __syncthreads();
    if (ty == 0 && j < cols) db[j] = bias_gradient_combine(&partial[0][tx], kBiasColumns);
    __syncthreads();
  }
}

void bias_gradient_cuda(const float* dy, int64_t rows, int64_t cols, float* db) {
  if (cols == 0) return;
  const int64_t strips = (cols + kBiasColumns - 1) / kBiasColumns;
  const unsigned int blocks = static_cast<unsigned int>(strips < kMaxElementwiseBlocks ? strips : kMaxElementwiseBlocks);
  bias_gradient_kernel<<<blocks, dim3(kBiasColumns, kBiasGradientLanes)>>>(dy, rows, cols, db);
  finish("bias_gradient_kernel");
}

const KernelRegistration gemm = KernelRegistration::of<GemmKernel>(kGemm, Backend::kCuda, &gemm_cuda);
const KernelRegistration bias_gradient =
    KernelRegistration::of<BiasGradientKernel>(kBiasGradient, Backend::kCuda, &bias_gradient_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
