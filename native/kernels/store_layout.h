// The layout of a mixed-dimension embedding store, shared by the CPU and CUDA kernels.
//
// Rows are stored at their own size. There is one size class per candidate size d_c;
// class c owns a dense block of capacity_c rows of d_c floats, and a row is found through
// its location: the packed pair (slot, class). Bytes in use are Σ_i d_i·4 plus a 4-byte
// location per id, as in FBGEMM's D_offsets layout but with rows able to move between
// classes when they are resized.
#pragma once

#include <stdint.h>

#include "hd.h"

namespace mixdim {

constexpr int kMaxSizeClasses = 16;
constexpr int kClassBits = 4;                                // log2(kMaxSizeClasses)
constexpr int64_t kMaxSlotsPerClass = int64_t(1) << (31 - kClassBits);

MIXDIM_HD int32_t pack_location(int32_t slot, int32_t size_class) {
  return (slot << kClassBits) | size_class;
}
MIXDIM_HD int32_t location_class(int32_t location) { return location & (kMaxSizeClasses - 1); }
MIXDIM_HD int32_t location_slot(int32_t location) { return location >> kClassBits; }

// Per-element optimizer state lives beside the weights in the same class and slot,
// so a row's state moves with it when it changes class.
struct SizeClassView {
  float* weights;       // capacity × dim
  float* moment1;       // capacity × dim (Adam m), or null
  float* moment2;       // capacity × dim (Adam v), or null
  float* row_state;     // capacity (row-wise Adagrad's accumulated mean square), or null
  int32_t dim;
};

// Everything a kernel needs to reach any row, passed by value (it fits a CUDA launch).
struct StoreView {
  SizeClassView classes[kMaxSizeClasses];
  const int32_t* locations;  // num_rows packed (slot, class)
  int32_t num_classes;
  int32_t max_dim;
  int64_t num_rows;
};

MIXDIM_HD float* row_weights(const StoreView& store, int32_t location) {
  const SizeClassView& c = store.classes[location_class(location)];
  return c.weights + static_cast<int64_t>(location_slot(location)) * c.dim;
}

MIXDIM_HD int32_t row_dim(const StoreView& store, int32_t location) {
  return store.classes[location_class(location)].dim;
}

}  // namespace mixdim
