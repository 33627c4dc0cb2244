#include "../kernel_registry.h"
#include "../kernels/elementwise.h"
#include "../thread_pool.h"
#include "elementwise.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 15;

void linear_combination_cpu(float alpha, const float* x, float beta, const float* y, float* z, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z[i] = linear_combination(alpha, x[i], beta, y[i]);
  });
}

void product_cpu(const float* x, const float* y, float* z, int64_t n) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z[i] = product(x[i], y[i]);
  });
}

const KernelRegistration combination = KernelRegistration::of<LinearCombinationKernel>(
    kLinearCombination, Backend::kCpu, &linear_combination_cpu);
const KernelRegistration multiply = KernelRegistration::of<ProductKernel>(kProduct, Backend::kCpu, &product_cpu);

}  // namespace

}  // namespace mixdim
