// Batch norm on CUDA: one block per tile of 32 features, with the arithmetic of
// native/kernels/batch_norm.h. A block's 32 × kRowLanes threads read 32 consecutive features of a
// row per warp (coalesced); lane y sums rows y, y + kRowLanes, … in double, and the lanes are then
// added by a tree in a fixed order, so the statistics do not depend on anything but the shape.
// The same block then writes its features' outputs, so no statistics leave the block. Bandwidth-
// bound, but with only ceil(C/32) blocks a narrow C leaves most of a large GPU idle.
#include "../native/kernel_registry.h"
#include "../native/kernels/batch_norm.h"
#include "../native/ops/batch_norm.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kFeatureTile = 32;
constexpr int kRowLanes = 16;

// Σ over the row lanes of each feature column; every thread of the block must call it.
__device__ double column_total(double value, double (*scratch)[kFeatureTile]) {
  scratch[threadIdx.y][threadIdx.x] = value;
  __syncthreads();
  for (int stride = kRowLanes / 2; stride > 0; stride /= 2) {
    if (threadIdx.y < stride) scratch[threadIdx.y][threadIdx.x] += scratch[threadIdx.y + stride][threadIdx.x];
    __syncthreads();
  }
  const double total = scratch[0][threadIdx.x];
  __syncthreads();
  return total;
}

__global__ void batch_norm_forward_kernel(bool training, const float* __restrict__ x, const float* __restrict__ gamma,
                                          const float* __restrict__ beta, float* __restrict__ running_mean,
                                          float* __restrict__ running_var, float* __restrict__ y,
                                          float* __restrict__ save_mean, float* __restrict__ save_invstd, int64_t n,
                                          int64_t c, float eps, float momentum, int32_t activation) {
  __shared__ double scratch[kRowLanes][kFeatureTile];
  __shared__ float tile_mean[kFeatureTile];
  __shared__ float tile_invstd[kFeatureTile];
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kFeatureTile + threadIdx.x;
  const bool active = j < c;
  if (training) {
    double sum = 0.0;
    if (active) {
      for (int64_t i = threadIdx.y; i < n; i += kRowLanes) sum += x[i * c + j];
    }
    const double mean = column_total(sum, scratch) / static_cast<double>(n);
    double squares = 0.0;
    if (active) {
      for (int64_t i = threadIdx.y; i < n; i += kRowLanes) {
        const double centred = x[i * c + j] - mean;
        squares += centred * centred;
      }
    }
    const double variance = column_total(squares, scratch) / static_cast<double>(n);
    if (active && threadIdx.y == 0) {
      tile_mean[threadIdx.x] = static_cast<float>(mean);
      tile_invstd[threadIdx.x] = static_cast<float>(batch_norm_invstd(variance, eps));
      if (running_mean != nullptr) {
        running_mean[j] = batch_norm_running(running_mean[j], mean, momentum);
        running_var[j] = batch_norm_running(running_var[j], batch_norm_unbiased(variance, n), momentum);
      }
    }
  } else if (active && threadIdx.y == 0) {
    tile_mean[threadIdx.x] = running_mean[j];
    tile_invstd[threadIdx.x] = static_cast<float>(batch_norm_invstd(running_var[j], eps));
  }
  __syncthreads();
  if (!active) return;
  const float mean = tile_mean[threadIdx.x];
  const float invstd = tile_invstd[threadIdx.x];
  if (threadIdx.y == 0) {
    save_mean[j] = mean;
    save_invstd[j] = invstd;
  }
  const float g = gamma != nullptr ? gamma[j] : 1.0f;
  const float b = beta != nullptr ? beta[j] : 0.0f;
  for (int64_t i = threadIdx.y; i < n; i += kRowLanes) {
    y[i * c + j] = batch_norm_activate(batch_norm_output(x[i * c + j], mean, invstd, g, b), activation);
  }
}

__global__ void batch_norm_backward_kernel(bool training, const float* __restrict__ x, const float* __restrict__ dy,
                                           const float* __restrict__ gamma, const float* __restrict__ save_mean,
                                           const float* __restrict__ save_invstd, float* __restrict__ dx,
                                           float* __restrict__ dgamma, float* __restrict__ dbeta, int64_t n,
                                           int64_t c, int32_t activation, const float* __restrict__ y) {
  __shared__ double scratch[kRowLanes][kFeatureTile];
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kFeatureTile + threadIdx.x;
  const bool active = j < c;
  const float mean = active ? save_mean[j] : 0.0f;
  const float invstd = active ? save_invstd[j] : 0.0f;
  float mean_dy = 0.0f;
  float mean_dy_xhat = 0.0f;
  if (training || dgamma != nullptr) {
    double sum_dy = 0.0;
    double sum_dy_xhat = 0.0;
    if (active) {
      for (int64_t i = threadIdx.y; i < n; i += kRowLanes) {
        const float g = batch_norm_activation_grad(dy[i * c + j], y != nullptr ? y[i * c + j] : 0.0f, activation);
        sum_dy += g;
        sum_dy_xhat += static_cast<double>(g) * batch_norm_normalized(x[i * c + j], mean, invstd);
      }
    }
    sum_dy = column_total(sum_dy, scratch);
    sum_dy_xhat = column_total(sum_dy_xhat, scratch);
    if (active && threadIdx.y == 0 && dgamma != nullptr) {
      dbeta[j] = static_cast<float>(sum_dy);
      dgamma[j] = static_cast<float>(sum_dy_xhat);
    }
    if (training) {
      mean_dy = static_cast<float>(sum_dy / static_cast<double>(n));
      mean_dy_xhat = static_cast<float>(sum_dy_xhat / static_cast<double>(n));
    }
  }
  if (!active) return;
  const float gamma_invstd = (gamma != nullptr ? gamma[j] : 1.0f) * invstd;
  for (int64_t i = threadIdx.y; i < n; i += kRowLanes) {
    const float g = batch_norm_activation_grad(dy[i * c + j], y != nullptr ? y[i * c + j] : 0.0f, activation);
    dx[i * c + j] = batch_norm_input_grad(g, batch_norm_normalized(x[i * c + j], mean, invstd), gamma_invstd, mean_dy,
                                          mean_dy_xhat);
  }
}

unsigned int feature_tiles(int64_t c) { return static_cast<unsigned int>((c + kFeatureTile - 1) / kFeatureTile); }

void batch_norm_forward_cuda(bool training, const float* x, const float* gamma, const float* beta, float* running_mean,
                             float* running_var, float* y, float* save_mean, float* save_invstd, int64_t n, int64_t c,
                             float eps, float momentum, int32_t activation) {
  if (c == 0) return;
  batch_norm_forward_kernel<<<feature_tiles(c), dim3(kFeatureTile, kRowLanes)>>>(
      training, x, gamma, beta, running_mean, running_var, y, save_mean, save_invstd, n, c, eps, momentum, activation);
  finish("batch_norm_forward_kernel");
}

void batch_norm_backward_cuda(bool training, const float* x, const float* dy, const float* gamma,
                              const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                              int64_t n, int64_t c, int32_t activation, const float* y) {
  if (c == 0) return;
  batch_norm_backward_kernel<<<feature_tiles(c), dim3(kFeatureTile, kRowLanes)>>>(
      training, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta, n, c, activation, y);
  finish("batch_norm_backward_kernel");
}

const KernelRegistration forward =
    KernelRegistration::of<BatchNormForwardKernel>(kBatchNormForward, Backend::kCuda, &batch_norm_forward_cuda);
const KernelRegistration backward =
    KernelRegistration::of<BatchNormBackwardKernel>(kBatchNormBackward, Backend::kCuda, &batch_norm_backward_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
