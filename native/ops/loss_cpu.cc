// Losses on the CPU. Items are cut into fixed blocks of kLossBlock; each block sums its losses in
// order in double and the block sums are added in block order, so the total does not depend on
// the thread count. Input checks ride along in the same pass: each block keeps its first invalid
// slot, and the first block that has one wins.
#include <algorithm>
#include <vector>

#include "../kernel_registry.h"
#include "../kernels/loss.h"
#include "../thread_pool.h"
#include "loss.h"

namespace mixdim {

namespace {

constexpr int64_t kLossBlock = 4096;

struct BlockTotal {
  double sum = 0.0;
  int64_t first_invalid = -1;
};

// Σ_i item(i, &invalid) over [0, count): item returns l_i and sets `invalid` to a slot it rejects.
template <typename Item>
double ordered_sum(int64_t count, int64_t items_per_block, const Item& item, int64_t* first_invalid) {
  const int64_t blocks = (count + items_per_block - 1) / items_per_block;
  std::vector<BlockTotal> totals(static_cast<size_t>(blocks));
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      BlockTotal total;
      const int64_t end = std::min(count, (b + 1) * items_per_block);
      for (int64_t i = b * items_per_block; i < end; ++i) {
        int64_t invalid = -1;
        total.sum += item(i, &invalid);
        if (invalid >= 0 && total.first_invalid < 0) total.first_invalid = invalid;
      }
      totals[b] = total;
    }
  });
  double sum = 0.0;
  *first_invalid = -1;
  for (const BlockTotal& total : totals) {
    sum += total.sum;
    if (*first_invalid < 0) *first_invalid = total.first_invalid;
  }
  return sum;
}

double binary_loss_cpu(int32_t kind, const float* z, const float* y, float* dz, float* losses, int64_t n, float scale,
                       int64_t* first_invalid) {
  return ordered_sum(
      n, kLossBlock,
      [&](int64_t i, int64_t* invalid) { return binary_loss_item(kind, z, y, dz, losses, scale, i, invalid); },
      first_invalid);
}

double bpr_loss_cpu(const float* pos, const float* neg, float* dpos, float* dneg, float* losses, int64_t n, float scale,
                    int64_t* first_invalid) {
  return ordered_sum(
      n, kLossBlock,
      [&](int64_t i, int64_t* invalid) { return bpr_loss_item(pos, neg, dpos, dneg, losses, scale, i, invalid); },
      first_invalid);
}

double softmax_cross_entropy_cpu(const float* z, const int32_t* labels, float* dz, float* losses, int64_t n, int64_t k,
                                 float scale, int64_t* first_invalid) {
  const int64_t rows_per_block = std::max<int64_t>(1, kLossBlock / std::max<int64_t>(1, k));
  return ordered_sum(
      n, rows_per_block,
      [&](int64_t i, int64_t* invalid) {
        return softmax_cross_entropy_item(z, labels, dz, losses, k, scale, i, invalid);
      },
      first_invalid);
}

const KernelRegistration binary = KernelRegistration::of<BinaryLossKernel>(kBinaryLoss, Backend::kCpu, &binary_loss_cpu);
const KernelRegistration bpr = KernelRegistration::of<BprLossKernel>(kBprLoss, Backend::kCpu, &bpr_loss_cpu);
const KernelRegistration softmax_ce = KernelRegistration::of<SoftmaxCrossEntropyKernel>(
    kSoftmaxCrossEntropy, Backend::kCpu, &softmax_cross_entropy_cpu);

}  // namespace

}  // namespace mixdim
