// Activations on CUDA: a grid-stride loop over elements with the arithmetic of
// native/kernels/activation.h. Bandwidth-bound (8 bytes per element forward, 12 backward).
#include "../native/kernel_registry.h"
#include "../native/kernels/activation.h"
#include "../native/ops/activation.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

__global__ void activation_forward_kernel(int32_t kind, const float* __restrict__ x, float* __restrict__ y, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) y[i] = activation_forward(kind, x[i]);
}

__global__ void activation_backward_kernel(int32_t kind, const float* __restrict__ y, const float* __restrict__ dy,
                                           float* __restrict__ dx, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dx[i] = activation_backward(kind, y[i], dy[i]);
}

void activation_forward_cuda(int32_t kind, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  activation_forward_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(kind, x, y, n);
  finish("activation_forward_kernel");
}

void activation_backward_cuda(int32_t kind, const float* y, const float* dy, float* dx, int64_t n) {
  if (n == 0) return;
  activation_backward_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(kind, y, dy, dx, n);
  finish("activation_backward_kernel");
}

const KernelRegistration forward =
    KernelRegistration::of<ActivationForwardKernel>(kActivationForward, Backend::kCuda, &activation_forward_cuda);
const KernelRegistration backward =
    KernelRegistration::of<ActivationBackwardKernel>(kActivationBackward, Backend::kCuda, &activation_backward_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
