// How a kernel reaches one stored row: its arrays (weights and optimizer state, which share the
// row's class and slot), and W-float accesses to them with the zero padding of
// native/kernels/lookup.h: a row of `dim` floats reads as 0 at every j >= dim.
//
// A row takes the vector path when it is W-aligned and dim % W == 0; otherwise (odd sizes,
// or a size-2 row under float4 accesses) the same W elements go one float at a time.
// Both paths give the same values, so the vector width is purely a bandwidth choice.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

#include "../native/kernels/lookup.h"
#include "../native/kernels/store_layout.h"

namespace mixdim {
namespace cuda {

struct RowRef {
  float* weights;
  float* moment1;    // null unless the optimizer is lazy Adam
  float* moment2;
  float* row_state;  // null unless the optimizer is row-wise Adagrad
  int32_t dim;
};

__device__ __forceinline__ RowRef row_at(const StoreView& store, int32_t location) {
  const SizeClassView& c = store.classes[location_class(location)];
  const int64_t offset = static_cast<int64_t>(location_slot(location)) * c.dim;
  return RowRef{c.weights + offset, c.moment1 != nullptr ? c.moment1 + offset : nullptr,
                c.moment2 != nullptr ? c.moment2 + offset : nullptr,
                c.row_state != nullptr ? c.row_state + location_slot(location) : nullptr, c.dim};
}

template <int W>
struct FloatVector;
template <>
struct FloatVector<4> {
  using type = float4;
};
template <>
struct FloatVector<2> {
  using type = float2;
};
template <>
struct FloatVector<1> {
  using type = float;
};

__device__ __forceinline__ void unpack(float4 x, float (&v)[4]) {
  v[0] = x.x;
  v[1] = x.y;
  v[2] = x.z;
  v[3] = x.w;
}
__device__ __forceinline__ void unpack(float2 x, float (&v)[2]) {
  v[0] = x.x;
  v[1] = x.y;
}
__device__ __forceinline__ void unpack(float x, float (&v)[1]) { v[0] = x; }
__device__ __forceinline__ float4 pack(const float (&v)[4]) { return make_float4(v[0], v[1], v[2], v[3]); }
__device__ __forceinline__ float2 pack(const float (&v)[2]) { return make_float2(v[0], v[1]); }
__device__ __forceinline__ float pack(const float (&v)[1]) { return v[0]; }

template <int W>
__device__ __forceinline__ bool row_takes_vectors(const float* row, int dim) {
  return dim % W == 0 && reinterpret_cast<uintptr_t>(row) % (W * sizeof(float)) == 0;
}

// v = p[0 .. W), p W-aligned. Data no thread writes during the kernel may take the read-only path.
template <int W, bool readonly = false>
__device__ __forceinline__ void load_vector(const float* p, float (&v)[W]) {
  using V = typename FloatVector<W>::type;
  if constexpr (readonly) {
    unpack(__ldg(reinterpret_cast<const V*>(p)), v);
  } else {
    unpack(*reinterpret_cast<const V*>(p), v);
  }
}

template <int W>
__device__ __forceinline__ void store_vector(float* p, const float (&v)[W]) {
  using V = typename FloatVector<W>::type;
  *reinterpret_cast<V*>(p) = pack(v);
}

// v[e] = padded_row_element(row, dim, j + e) for e < W; j is a multiple of W.
template <int W, bool readonly = false>
__device__ __forceinline__ void load_padded(const float* row, int dim, int j, bool vectors, float (&v)[W]) {
  if (vectors && j + W <= dim) {
    load_vector<W, readonly>(row + j, v);
  } else {
#pragma unroll
    for (int e = 0; e < W; ++e) v[e] = padded_row_element(row, dim, j + e);
  }
}

// row[j + e] = v[e] for the e < W with j + e < dim: the padding is never stored.
template <int W>
__device__ __forceinline__ void store_clipped(float* row, int dim, int j, bool vectors, const float (&v)[W]) {
  if (vectors && j + W <= dim) {
    store_vector<W>(row + j, v);
  } else {
#pragma unroll
    for (int e = 0; e < W; ++e) {
      if (j + e < dim) row[j + e] = v[e];
    }
  }
}

}  // namespace cuda
}  // namespace mixdim
