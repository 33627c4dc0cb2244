// Dense optimizers on the CPU: elementwise updates split over the thread pool. The sum of
// squares cuts the elements into fixed blocks of kSquaresBlock, sums each in double and adds the
// block sums in order, so the norm does not depend on the thread count.
#include <algorithm>
#include <vector>

#include "../cpu_clones.h"
#include "../kernel_registry.h"
#include "../thread_pool.h"
#include "dense_optimizer.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 14;
constexpr int64_t kSquaresBlock = 1 << 14;

MIXDIM_CPU_CLONES void dense_sgd_range(float* __restrict param, const float* __restrict grad,
                                       float* __restrict momentum_buffer, int64_t begin, int64_t end,
                                       const DenseSgdStep& step) {
  for (int64_t i = begin; i < end; ++i) {
    dense_sgd_update(param + i, grad[i], momentum_buffer != nullptr ? momentum_buffer + i : nullptr, step);
  }
}

MIXDIM_CPU_CLONES void dense_adam_range(float* __restrict param, const float* __restrict grad, float* __restrict m,
                                        float* __restrict v, int64_t begin, int64_t end, const DenseAdamStep& step) {
  for (int64_t i = begin; i < end; ++i) dense_adam_update(param + i, m + i, v + i, grad[i], step);
}

MIXDIM_CPU_CLONES void dense_adagrad_range(float* __restrict param, const float* __restrict grad,
                                           float* __restrict sum, int64_t begin, int64_t end,
                                           const DenseAdagradStep& step) {
  for (int64_t i = begin; i < end; ++i) dense_adagrad_update(param + i, sum + i, grad[i], step);
}

void dense_sgd_cpu(float* param, const float* grad, float* momentum_buffer, int64_t n, DenseSgdStep step) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    dense_sgd_range(param, grad, momentum_buffer, begin, end, step);
  });
}

void dense_adam_cpu(float* param, const float* grad, float* m, float* v, int64_t n, DenseAdamStep step) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    dense_adam_range(param, grad, m, v, begin, end, step);
  });
}

void dense_adagrad_cpu(float* param, const float* grad, float* sum, int64_t n, DenseAdagradStep step) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    dense_adagrad_range(param, grad, sum, begin, end, step);
  });
}

double sum_of_squares_cpu(const float* x, int64_t n) {
  const int64_t blocks = (n + kSquaresBlock - 1) / kSquaresBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      double sum = 0.0;
      const int64_t end = std::min(n, (b + 1) * kSquaresBlock);
      for (int64_t i = b * kSquaresBlock; i < end; ++i) sum += static_cast<double>(x[i]) * x[i];
      partial[b] = sum;
    }
  });
  double total = 0.0;
  for (const double sum : partial) total += sum;
  return total;
}

void scale_in_place_cpu(float* x, int64_t n, float factor) {
  ThreadPool::instance().parallel_for(n, kElementGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) x[i] *= factor;
  });
}

const KernelRegistration sgd = KernelRegistration::of<DenseSgdKernel>(kDenseSgd, Backend::kCpu, &dense_sgd_cpu);
const KernelRegistration adam = KernelRegistration::of<DenseAdamKernel>(kDenseAdam, Backend::kCpu, &dense_adam_cpu);
const KernelRegistration adagrad =
    KernelRegistration::of<DenseAdagradKernel>(kDenseAdagrad, Backend::kCpu, &dense_adagrad_cpu);
const KernelRegistration squares =
    KernelRegistration::of<ClipSumOfSquaresKernel>(kClipSumOfSquares, Backend::kCpu, &sum_of_squares_cpu);
const KernelRegistration scale =
    KernelRegistration::of<ClipScaleKernel>(kClipScale, Backend::kCpu, &scale_in_place_cpu);

}  // namespace

}  // namespace mixdim
