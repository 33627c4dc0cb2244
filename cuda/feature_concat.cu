// Column-block copy on CUDA: a grid-stride loop over the rows × width elements of the block,
// consecutive threads on consecutive columns of a row (coalesced reads and writes).
// Bandwidth-bound: 8 bytes moved per element.
#include "../native/kernel_registry.h"
#include "../native/ops/feature_concat.h"
#include "elementwise_launch.cuh"

namespace mixdim {
namespace cuda {

namespace {

__global__ void feature_copy_kernel(const float* __restrict__ src, int64_t src_stride, float* __restrict__ dst,
                                    int64_t dst_stride, int64_t rows, int64_t width) {
  const int64_t total = rows * width;
  for (int64_t e = grid_thread(); e < total; e += grid_threads()) {
    const int64_t r = e / width;
    const int64_t j = e - r * width;
    dst[r * dst_stride + j] = src[r * src_stride + j];
  }
}

void feature_copy_cuda(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                       int64_t width) {
  if (rows == 0 || width == 0) return;
  feature_copy_kernel<<<elementwise_blocks(rows * width), kElementwiseThreads>>>(src, src_stride, dst, dst_stride,
                                                                                rows, width);
  finish("feature_copy_kernel");
}

const KernelRegistration copy =
    KernelRegistration::of<FeatureCopyKernel>(kFeatureCopy, Backend::kCuda, &feature_copy_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
