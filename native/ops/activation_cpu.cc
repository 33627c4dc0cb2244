#include "../kernel_registry.h"
#include "../kernels/activation.h"
#include "../thread_pool.h"
#include "activation.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 14;

void activation_forward_cpu(int32_t kind, const float* x, float* y, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = activation_forward(kind, x[i]);
  });
}

void activation_backward_cpu(int32_t kind, const float* y, const float* dy, float* dx, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = activation_backward(kind, y[i], dy[i]);
  });
}

const KernelRegistration forward =
    KernelRegistration::of<ActivationForwardKernel>(kActivationForward, Backend::kCpu, &activation_forward_cpu);
const KernelRegistration backward =
    KernelRegistration::of<ActivationBackwardKernel>(kActivationBackward, Backend::kCpu, &activation_backward_cpu);

}  // namespace

}  // namespace mixdim
