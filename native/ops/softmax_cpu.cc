// Softmax on the CPU: rows split over the thread pool, each row in three passes (max, exp and
// sum, scale) with sums in ascending column order.
#include <algorithm>

#include "../kernel_registry.h"
#include "../kernels/softmax.h"
#include "../thread_pool.h"
#include "softmax.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 14;

int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kElementGrain / std::max<int64_t>(cols, 1)); }

void softmax_forward_cpu(const float* x, float* y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  ThreadPool::instance().parallel_for(rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x + r * cols;
      float* out = y + r * cols;
      float row_max = in[0];
      for (int64_t j = 1; j < cols; ++j) row_max = std::max(row_max, in[j]);
      float sum = 0.0f;
      for (int64_t j = 0; j < cols; ++j) {
        out[j] = softmax_numerator(in[j], row_max);
        sum += out[j];
      }
      for (int64_t j = 0; j < cols; ++j) out[j] /= sum;
    }
  });
}

void softmax_backward_cpu(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  ThreadPool::instance().parallel_for(rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* yr = y + r * cols;
      const float* dyr = dy + r * cols;
      float* dxr = dx + r * cols;
      float dot = 0.0f;
      for (int64_t j = 0; j < cols; ++j) dot += dyr[j] * yr[j];
      for (int64_t j = 0; j < cols; ++j) dxr[j] = softmax_backward(yr[j], dyr[j], dot);
    }
  });
}

const KernelRegistration forward =
    KernelRegistration::of<SoftmaxForwardKernel>(kSoftmaxForward, Backend::kCpu, &softmax_forward_cpu);
const KernelRegistration backward =
    KernelRegistration::of<SoftmaxBackwardKernel>(kSoftmaxBackward, Backend::kCpu, &softmax_backward_cpu);

}  // namespace

}  // namespace mixdim
