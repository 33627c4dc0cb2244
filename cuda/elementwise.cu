// Elementwise arithmetic on CUDA with the math of native/kernels/elementwise.h. Bandwidth-bound.
#include "../native/kernel_registry.h"
#include "../native/kernels/elementwise.h"
#include "../native/ops/elementwise.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

__global__ void linear_combination_kernel(float alpha, const float* x, float beta, const float* y, float* z, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) z[i] = linear_combination(alpha, x[i], beta, y[i]);
}

__global__ void product_kernel(const float* x, const float* y, float* z, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) z[i] = product(x[i], y[i]);
}

void linear_combination_cuda(float alpha, const float* x, float beta, const float* y, float* z, int64_t n) {
  if (n == 0) return;
  linear_combination_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(alpha, x, beta, y, z, n);
  finish("linear_combination_kernel");
}

void product_cuda(const float* x, const float* y, float* z, int64_t n) {
  if (n == 0) return;
  product_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(x, y, z, n);
  finish("product_kernel");
}

const KernelRegistration combination =
    KernelRegistration::of<LinearCombinationKernel>(kLinearCombination, Backend::kCuda, &linear_combination_cuda);
const KernelRegistration multiply = KernelRegistration::of<ProductKernel>(kProduct, Backend::kCuda, &product_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
