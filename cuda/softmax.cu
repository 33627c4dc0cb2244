// Softmax on CUDA: one warp per row (grid-stride over rows), lanes striding the columns.
// The row maximum is reduced with xor shuffles (max is exact in any order); sums are reduced
// lane-strided then down a fixed shuffle tree and broadcast from lane 0, so every lane, launch
// shape and run gets the same bits. Bandwidth-bound; the row is re-read from L1/L2, not DRAM,
// for widths up to a few thousand.
#include "../native/kernel_registry.h"
#include "../native/kernels/softmax.h"
#include "../native/ops/softmax.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kElementwiseThreads / kWarp;

__device__ __forceinline__ float warp_max(float value) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  return value;
}

// A fixed tree into lane 0, then broadcast: every lane holds the same sum.
__device__ __forceinline__ float warp_sum(float value) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  return __shfl_sync(0xffffffffu, value, 0);
}

__device__ __forceinline__ int64_t first_row() {
  return static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
}
__device__ __forceinline__ int64_t row_stride() { return static_cast<int64_t>(gridDim.x) * kRowsPerBlock; }

__global__ void softmax_forward_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows,
                                       int64_t cols) {
  const int lane = threadIdx.x % kWarp;
  for (int64_t r = first_row(); r < rows; r += row_stride()) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    float row_max = -INFINITY;
    for (int64_t j = lane; j < cols; j += kWarp) row_max = fmaxf(row_max, in[j]);
    row_max = warp_max(row_max);
    float sum = 0.0f;
    for (int64_t j = lane; j < cols; j += kWarp) {
      const float e = softmax_numerator(in[j], row_max);
      out[j] = e;
      sum += e;
    }
    sum = warp_sum(sum);
    for (int64_t j = lane; j < cols; j += kWarp) out[j] /= sum;
  }
}

__global__ void softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ dy,
                                        float* __restrict__ dx, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x % kWarp;
  for (int64_t r = first_row(); r < rows; r += row_stride()) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    float dot = 0.0f;
    for (int64_t j = lane; j < cols; j += kWarp) dot += dyr[j] * yr[j];
    dot = warp_sum(dot);
    for (int64_t j = lane; j < cols; j += kWarp) dxr[j] = softmax_backward(yr[j], dyr[j], dot);
  }
}

unsigned int row_blocks(int64_t rows) {
  const int64_t wanted = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  return static_cast<unsigned int>(wanted < kMaxElementwiseBlocks ? wanted : kMaxElementwiseBlocks);
}

void softmax_forward_cuda(const float* x, float* y, int64_t rows, int64_t cols) {
  if (rows == 0 || cols == 0) return;
  softmax_forward_kernel<<<row_blocks(rows), kElementwiseThreads>>>(x, y, rows, cols);
  finish("softmax_forward_kernel");
}

void softmax_backward_cuda(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  if (rows == 0 || cols == 0) return;
  softmax_backward_kernel<<<row_blocks(rows), kElementwiseThreads>>>(y, dy, dx, rows, cols);
  finish("softmax_backward_kernel");
}

const KernelRegistration forward =
    KernelRegistration::of<SoftmaxForwardKernel>(kSoftmaxForward, Backend::kCuda, &softmax_forward_cuda);
const KernelRegistration backward =
    KernelRegistration::of<SoftmaxBackwardKernel>(kSoftmaxBackward, Backend::kCuda, &softmax_backward_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
