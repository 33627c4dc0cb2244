// Elementwise kernel signatures, shared by the CPU and CUDA registrations.
#pragma once

#include <stdint.h>

namespace mixdim {

// z[i] = alpha·x[i] + beta·y[i]  (z may alias x or y)
using LinearCombinationKernel = void(float alpha, const float* x, float beta, const float* y, float* z, int64_t n);
// z[i] = x[i]·y[i]  (z may alias x or y)
using ProductKernel = void(const float* x, const float* y, float* z, int64_t n);

constexpr const char* kLinearCombination = "linear_combination";
constexpr const char* kProduct = "product";

}  // namespace mixdim
