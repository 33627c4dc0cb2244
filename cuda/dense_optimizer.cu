// Dense optimizers on CUDA: grid-stride elementwise updates with the arithmetic of
// native/kernels/dense_optimizer.h. The sum of squares for gradient clipping takes fixed tiles of
// kTile elements per block, sums each in double by a shared-memory tree, and adds the tiles' sums
// in a one-block pass by another fixed tree, so the norm depends only on n. Bandwidth-bound.
#include <stdint.h>

#include "../native/kernel_registry.h"
#include "../native/ops/dense_optimizer.h"
#include "elementwise_launch.cuh"
#include "per_device.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kItemsPerThread = 8;
constexpr int64_t kTile = kThreads * kItemsPerThread;

// Parameters and gradients may alias (a caller may pass one array twice), so no __restrict__ here.
__global__ void dense_sgd_kernel(float* param, const float* grad, float* momentum_buffer, int64_t n,
                                 DenseSgdStep step) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    dense_sgd_update(param + i, grad[i], momentum_buffer != nullptr ? momentum_buffer + i : nullptr, step);
  }
}

__global__ void dense_adam_kernel(float* param, const float* grad, float* m, float* v, int64_t n, DenseAdamStep step) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dense_adam_update(param + i, m + i, v + i, grad[i], step);
}

__global__ void dense_adagrad_kernel(float* param, const float* grad, float* sum, int64_t n, DenseAdagradStep step) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dense_adagrad_update(param + i, sum + i, grad[i], step);
}

__global__ void clip_scale_kernel(float* x, int64_t n, float factor) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) x[i] *= factor;
}

// Block-wide Σ in a fixed tree; thread 0 writes it.
__device__ void block_sum(double value, double* out) {
  __shared__ double sums[kThreads];
  sums[threadIdx.x] = value;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) sums[threadIdx.x] += sums[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = sums[0];
}

__global__ void tile_squares_kernel(const float* x, int64_t n, double* tile_sums) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kTile;
  double sum = 0.0;
  for (int r = 0; r < kItemsPerThread; ++r) {
    const int64_t i = base + r * kThreads + threadIdx.x;
    if (i < n) sum += static_cast<double>(x[i]) * x[i];
  }
  block_sum(sum, tile_sums + blockIdx.x);
}

__global__ void tiles_total_kernel(const double* tile_sums, int64_t tiles, double* total) {
  double sum = 0.0;
  for (int64_t t = threadIdx.x; t < tiles; t += kThreads) sum += tile_sums[t];
  block_sum(sum, total);
}

ScratchBuffer& scratch() {
  static PerDevice<ScratchBuffer> buffers;
  return buffers.current();
}

void dense_sgd_cuda(float* param, const float* grad, float* momentum_buffer, int64_t n, DenseSgdStep step) {
  if (n == 0) return;
  dense_sgd_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(param, grad, momentum_buffer, n, step);
  finish("dense_sgd_kernel");
}

void dense_adam_cuda(float* param, const float* grad, float* m, float* v, int64_t n, DenseAdamStep step) {
  if (n == 0) return;
  dense_adam_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(param, grad, m, v, n, step);
  finish("dense_adam_kernel");
}

void dense_adagrad_cuda(float* param, const float* grad, float* sum, int64_t n, DenseAdagradStep step) {
  if (n == 0) return;
  dense_adagrad_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(param, grad, sum, n, step);
  finish("dense_adagrad_kernel");
}

double clip_sum_of_squares_cuda(const float* x, int64_t n) {
  if (n == 0) return 0.0;
  const int64_t tiles = (n + kTile - 1) / kTile;
  double* base = scratch().reserve<double>(1 + tiles);  // [total, tile sums…]
  tile_squares_kernel<<<static_cast<unsigned int>(tiles), kThreads>>>(x, n, base + 1);
  check_launch("tile_squares_kernel");
  tiles_total_kernel<<<1, kThreads>>>(base + 1, tiles, base);
  finish("tiles_total_kernel");
  double total = 0.0;
  check(cudaMemcpy(&total, base, sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy (sum of squares)");
  return total;
}

void clip_scale_cuda(float* x, int64_t n, float factor) {
  if (n == 0) return;
  clip_scale_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(x, n, factor);
  finish("clip_scale_kernel");
}

const KernelRegistration sgd = KernelRegistration::of<DenseSgdKernel>(kDenseSgd, Backend::kCuda, &dense_sgd_cuda);
const KernelRegistration adam = KernelRegistration::of<DenseAdamKernel>(kDenseAdam, Backend::kCuda, &dense_adam_cuda);
const KernelRegistration adagrad =
    KernelRegistration::of<DenseAdagradKernel>(kDenseAdagrad, Backend::kCuda, &dense_adagrad_cuda);
const KernelRegistration squares =
    KernelRegistration::of<ClipSumOfSquaresKernel>(kClipSumOfSquares, Backend::kCuda, &clip_sum_of_squares_cuda);
const KernelRegistration scale = KernelRegistration::of<ClipScaleKernel>(kClipScale, Backend::kCuda, &clip_scale_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
