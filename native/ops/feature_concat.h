// The feature concat/slice op's one kernel: a copy of a block of columns between two row-major
// matrices with the same number of rows. concatFeatures copies each input into its columns of
// the output; sliceFeatures copies a block of columns out; each is the other's backward.
#pragma once

#include <stdint.h>

namespace mixdim {

// dst[r·dst_stride + j] = src[r·src_stride + j] for r < rows, j < width (pointers already at the
// first column of the block; strides are the matrices' column counts).
using FeatureCopyKernel = void(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                               int64_t width);

constexpr const char* kFeatureCopy = "feature_copy";

}  // namespace mixdim
