// Losses on CUDA, with the per-item arithmetic of native/kernels/loss.h. Each block takes a fixed
// tile of kTile items (thread t: items t, t + kThreads, …, coalesced), sums its losses in double
// with a shared-memory tree, and a one-block pass adds the tiles' sums by another fixed tree: the
// total depends only on n, never on timing. The first invalid slot is the minimum over the tiles.
// Bandwidth-bound, like the CPU kernels.
#include <stdint.h>

#include "../native/kernel_registry.h"
#include "../native/kernels/loss.h"
#include "../native/ops/loss.h"
#include "elementwise_launch.cuh"
#include "per_device.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kItemsPerThread = 4;
constexpr int64_t kTile = kThreads * kItemsPerThread;
constexpr int64_t kNoInvalid = INT64_MAX;

// Block-wide Σ of `sum` and min of `invalid`, in a fixed tree; thread 0 gets the result.
__device__ void block_total(double sum, int64_t invalid, double* out_sum, int64_t* out_invalid) {
  __shared__ double sums[kThreads];
  __shared__ int64_t invalids[kThreads];
  sums[threadIdx.x] = sum;
  invalids[threadIdx.x] = invalid;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) {
      sums[threadIdx.x] += sums[threadIdx.x + stride];
      invalids[threadIdx.x] = min(invalids[threadIdx.x], invalids[threadIdx.x + stride]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    *out_sum = sums[0];
    *out_invalid = invalids[0];
  }
}

template <typename Item>
__global__ void tile_totals_kernel(Item item, int64_t count, double* tile_sums, int64_t* tile_invalid) {
  const int64_t base = static_cast<int64_t>(blockIdx.x) * kTile;
  double sum = 0.0;
  int64_t first = kNoInvalid;
  for (int r = 0; r < kItemsPerThread; ++r) {
    const int64_t i = base + r * kThreads + threadIdx.x;
    if (i < count) {
      int64_t invalid = -1;
      sum += item(i, &invalid);
      if (invalid >= 0 && invalid < first) first = invalid;
    }
  }
  block_total(sum, first, tile_sums + blockIdx.x, tile_invalid + blockIdx.x);
}

__global__ void grand_total_kernel(const double* tile_sums, const int64_t* tile_invalid, int64_t tiles, double* sum,
                                   int64_t* invalid) {
  double partial = 0.0;
  int64_t first = kNoInvalid;
  for (int64_t t = threadIdx.x; t < tiles; t += kThreads) {
    partial += tile_sums[t];
    first = min(first, tile_invalid[t]);
  }
  block_total(partial, first, sum, invalid);
}

struct BinaryItem {
  int32_t kind;
  const float* z;
  const float* y;
  float* dz;
  float* losses;
  float scale;
  __device__ double operator()(int64_t i, int64_t* invalid) const {
    return binary_loss_item(kind, z, y, dz, losses, scale, i, invalid);
  }
};

struct BprItem {
  const float* pos;
  const float* neg;
  float* dpos;
  float* dneg;
  float* losses;
  float scale;
  __device__ double operator()(int64_t i, int64_t* invalid) const {
    return bpr_loss_item(pos, neg, dpos, dneg, losses, scale, i, invalid);
  }
};

struct SoftmaxCrossEntropyItem {
  const float* z;
  const int32_t* labels;
  float* dz;
  float* losses;
  int64_t k;
  float scale;
  __device__ double operator()(int64_t i, int64_t* invalid) const {
    return softmax_cross_entropy_item(z, labels, dz, losses, k, scale, i, invalid);
  }
};

// Per-call partial sums; ops are synchronous and JS calls them one at a time, so one buffer serves all.
ScratchBuffer& scratch() {
  static PerDevice<ScratchBuffer> buffers;
  return buffers.current();
}

// Runs `item` over [0, count) and returns Σ l_i, setting *first_invalid (-1 when every input is valid).
template <typename Item>
double total_loss(const Item& item, int64_t count, int64_t* first_invalid) {
  *first_invalid = -1;
  if (count == 0) return 0.0;
  const int64_t tiles = (count + kTile - 1) / kTile;
  // Layout: [sum, invalid, tile sums…, tile invalid slots…], all 8-byte values.
  char* base = static_cast<char*>(scratch().reserve_bytes(static_cast<size_t>(2 + 2 * tiles) * 8));
  double* sum = reinterpret_cast<double*>(base);
  int64_t* invalid = reinterpret_cast<int64_t*>(base + 8);
  double* tile_sums = reinterpret_cast<double*>(base + 16);
  int64_t* tile_invalid = reinterpret_cast<int64_t*>(base + 16 + 8 * tiles);
  tile_totals_kernel<<<static_cast<unsigned int>(tiles), kThreads>>>(item, count, tile_sums, tile_invalid);
  check_launch("tile_totals_kernel");
  grand_total_kernel<<<1, kThreads>>>(tile_sums, tile_invalid, tiles, sum, invalid);
  finish("grand_total_kernel");
  struct {
    double sum;
    int64_t invalid;
  } host;
  check(cudaMemcpy(&host, base, sizeof(host), cudaMemcpyDeviceToHost), "cudaMemcpy (loss total)");
  if (host.invalid != kNoInvalid) *first_invalid = host.invalid;
  return host.sum;
}

double binary_loss_cuda(int32_t kind, const float* z, const float* y, float* dz, float* losses, int64_t n, float scale,
                        int64_t* first_invalid) {
  return total_loss(BinaryItem{kind, z, y, dz, losses, scale}, n, first_invalid);
}

double bpr_loss_cuda(const float* pos, const float* neg, float* dpos, float* dneg, float* losses, int64_t n,
                     float scale, int64_t* first_invalid) {
  return total_loss(BprItem{pos, neg, dpos, dneg, losses, scale}, n, first_invalid);
}

double softmax_cross_entropy_cuda(const float* z, const int32_t* labels, float* dz, float* losses, int64_t n, int64_t k,
                                  float scale, int64_t* first_invalid) {
  return total_loss(SoftmaxCrossEntropyItem{z, labels, dz, losses, k, scale}, n, first_invalid);
}

const KernelRegistration binary = KernelRegistration::of<BinaryLossKernel>(kBinaryLoss, Backend::kCuda, &binary_loss_cuda);
const KernelRegistration bpr = KernelRegistration::of<BprLossKernel>(kBprLoss, Backend::kCuda, &bpr_loss_cuda);
const KernelRegistration softmax_ce = KernelRegistration::of<SoftmaxCrossEntropyKernel>(
    kSoftmaxCrossEntropy, Backend::kCuda, &softmax_cross_entropy_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
