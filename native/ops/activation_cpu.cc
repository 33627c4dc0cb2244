#include "../cpu_clones.h"
#include "../kernel_registry.h"
#include "../kernels/activation.h"
#include "../thread_pool.h"
#include "activation.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 14;

// The kind is a template parameter so that each loop body is one branch-free function the
// compiler vectorises; activation_forward(kind, x) is the same arithmetic.
template <int32_t Kind>
MIXDIM_CPU_CLONES void activation_forward_range(const float* __restrict x, float* __restrict y, int64_t begin,
                                                int64_t end) {
  for (int64_t i = begin; i < end; ++i) y[i] = activation_forward(Kind, x[i]);
}

template <int32_t Kind>
MIXDIM_CPU_CLONES void activation_backward_range(const float* __restrict y, const float* __restrict dy,
                                                 float* __restrict dx, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) dx[i] = activation_backward(Kind, y[i], dy[i]);
}

template <int32_t Kind>
void activation_forward_loop(const float* x, float* y, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    activation_forward_range<Kind>(x, y, begin, end);
  });
}

template <int32_t Kind>
void activation_backward_loop(const float* y, const float* dy, float* dx, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    activation_backward_range<Kind>(y, dy, dx, begin, end);
  });
}

void activation_forward_cpu(int32_t kind, const float* x, float* y, int64_t n) {
  switch (kind) {
    case kRelu: return activation_forward_loop<kRelu>(x, y, n);
    case kTanh: return activation_forward_loop<kTanh>(x, y, n);
    default: return activation_forward_loop<kSigmoid>(x, y, n);
  }
}

void activation_backward_cpu(int32_t kind, const float* y, const float* dy, float* dx, int64_t n) {
  switch (kind) {
    case kRelu: return activation_backward_loop<kRelu>(y, dy, dx, n);
    case kTanh: return activation_backward_loop<kTanh>(y, dy, dx, n);
    default: return activation_backward_loop<kSigmoid>(y, dy, dx, n);
  }
}

const KernelRegistration forward =
    KernelRegistration::of<ActivationForwardKernel>(kActivationForward, Backend::kCpu, &activation_forward_cpu);
const KernelRegistration backward =
    KernelRegistration::of<ActivationBackwardKernel>(kActivationBackward, Backend::kCpu, &activation_backward_cpu);

}  // namespace

}  // namespace mixdim
