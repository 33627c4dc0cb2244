// Column-block copy on the CPU: rows split over the thread pool, each row one memcpy.
// Bandwidth-bound: one read and one write per element.
#include <string.h>

#include <algorithm>

#include "../kernel_registry.h"
#include "../thread_pool.h"
#include "feature_concat.h"

namespace mixdim {

namespace {

constexpr int64_t kElementGrain = 1 << 15;

void feature_copy_cpu(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                      int64_t width) {
  if (width == 0) return;
  const int64_t grain = std::max<int64_t>(1, kElementGrain / width);
  ThreadPool::instance().parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      memcpy(dst + r * dst_stride, src + r * src_stride, static_cast<size_t>(width) * sizeof(float));
    }
  });
}

const KernelRegistration copy =
    KernelRegistration::of<FeatureCopyKernel>(kFeatureCopy, Backend::kCpu, &feature_copy_cpu);

}  // namespace

}  // namespace mixdim
