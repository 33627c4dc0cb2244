// The loss ops' kernel signatures, shared by their CPU and CUDA registrations.
//
// Each returns Σ_i l_i (in double, summed in a fixed order), writes scale·∂l_i/∂input into the
// gradient arrays and l_i into `losses` when those are not null, and sets *first_invalid to the
// first invalid input "slot" (encoded per kernel below) or to -1. Invalid inputs are reported,
// not trusted: a kernel never reads memory through an invalid label.
#pragma once

#include <stdint.h>

namespace mixdim {

// kind: BinaryLossKind. z, y, dz, losses: n elements. Slot 2i: z[i] is not finite; 2i + 1: y[i] is
// not in [0, 1].
using BinaryLossKernel = double(int32_t kind, const float* z, const float* y, float* dz, float* losses, int64_t n,
                                float scale, int64_t* first_invalid);

// pos, neg, dpos, dneg, losses: n elements; dpos and dneg both null or both set. Slot 2i: pos[i] is
// not finite; 2i + 1: neg[i] is not finite.
using BprLossKernel = double(const float* pos, const float* neg, float* dpos, float* dneg, float* losses, int64_t n,
                             float scale, int64_t* first_invalid);

// z, dz: [n, k] row-major; labels, losses: n. Slot i·(k + 1) + j for j < k: z[i, j] is not finite;
// slot i·(k + 1) + k: labels[i] is not in [0, k).
using SoftmaxCrossEntropyKernel = double(const float* z, const int32_t* labels, float* dz, float* losses, int64_t n,
                                         int64_t k, float scale, int64_t* first_invalid);

constexpr const char* kBinaryLoss = "binary_loss";
constexpr const char* kBprLoss = "bpr_loss";
constexpr const char* kSoftmaxCrossEntropy = "softmax_cross_entropy";

}  // namespace mixdim
