// The forward path on the device: id validation, then the padded gather of native/kernels/lookup.h.
#include <stdint.h>

#include "../native/kernels/lookup.h"
#include "cuda_check.cuh"
#include "launch_geometry.cuh"
#include "row_access.cuh"
#include "store_kernels.cuh"

namespace mixdim {
namespace cuda {

namespace {

// first = min { b : ids[b] ∉ [0, num_rows) }.
// Bandwidth-bound at 4·n bytes read; the atomic runs only for bad ids, which end the call anyway.
__global__ void __launch_bounds__(kBlockThreads)
    find_invalid_id_kernel(const int32_t* __restrict__ ids, int64_t n, int64_t num_rows,
                           unsigned long long* __restrict__ first) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < n; b += stride) {
    const int32_t id = __ldg(ids + b);
    if (id < 0 || id >= num_rows) atomicMin(first, static_cast<unsigned long long>(b));
  }
}

// out[b, j] = padded_row_element(E[ids[b]], d(ids[b]), j) for j < d_max.
//
// Bandwidth-bound: reads 4·n bytes of ids, 4·n of locations and Σ_b d(ids[b])·4 of rows, and writes
// n·d_max·4 of output, with no arithmetic. A group of `width` lanes takes R rows at a time, so each
// lane has R independent id → location → row chains in flight (the chains are latency-bound, R hides
// it); within a row, lane l moves floats [W·l, W·l + W) of every width·W, so a warp's stores are
// contiguous. Rows that are not W-aligned (odd sizes) are read a float at a time, the output never is.
template <int W, int R>
__global__ void __launch_bounds__(kBlockThreads)
    lookup_kernel(const __grid_constant__ StoreView store, const int32_t* __restrict__ ids, int64_t n,
                  float* __restrict__ out, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  for (int64_t first = group.first; first < n; first += group.stride * R) {
    const float* rows[R];
    int dims[R];
    bool vectors[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int64_t b = first + r * group.stride;
      rows[r] = nullptr;
      dims[r] = -1;  // no row: past the end of the batch
      vectors[r] = false;
      if (b < n) {
        const int32_t location = __ldg(store.locations + __ldg(ids + b));
        rows[r] = row_weights(store, location);
        dims[r] = row_dim(store, location);
        vectors[r] = row_takes_vectors<W>(rows[r], dims[r]);
      }
    }
    for (int j = group.lane * W; j < max_dim; j += width * W) {
      float values[R][W];
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (dims[r] >= 0) load_padded<W, true>(rows[r], dims[r], j, vectors[r], values[r]);
      }
#pragma unroll
      for (int r = 0; r < R; ++r) {
        if (dims[r] >= 0) store_vector<W>(out + (first + r * group.stride) * max_dim + j, values[r]);
      }
    }
  }
}

template <int W>
void lookup_with_vectors(const StoreView& store, const int32_t* ids, int64_t n, float* out, const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  // Four rows per group where the batch still fills the device that way; one per group for small batches.
  const int64_t resident_threads = static_cast<int64_t>(shape.sm_count) * shape.threads_per_sm;
  if ((n + 3) / 4 * width >= resident_threads) {
    const auto kernel = lookup_kernel<W, 4>;
    kernel<<<grid_blocks(kernel, (n + 3) / 4 * width, shape), kBlockThreads>>>(store, ids, n, out, width);
  } else {
    const auto kernel = lookup_kernel<W, 1>;
    kernel<<<grid_blocks(kernel, n * width, shape), kBlockThreads>>>(store, ids, n, out, width);
  }
  check_launch("lookup_kernel");
}

}  // namespace

void launch_find_invalid_id(const int32_t* ids, int64_t n, int64_t num_rows, unsigned long long* first,
                            const LaunchShape& shape) {
  if (n == 0) return;
  find_invalid_id_kernel<<<grid_blocks(find_invalid_id_kernel, n, shape), kBlockThreads>>>(ids, n, num_rows, first);
  check_launch("find_invalid_id_kernel");
}

void launch_lookup(const StoreView& store, const int32_t* ids, int64_t n, float* out, const LaunchShape& shape) {
  if (n == 0) return;
  switch (vector_width(store.max_dim, {out})) {
    case 4:
      lookup_with_vectors<4>(store, ids, n, out, shape);
      break;
    case 2:
      lookup_with_vectors<2>(store, ids, n, out, shape);
      break;
    default:
      lookup_with_vectors<1>(store, ids, n, out, shape);
      break;
  }
}

}  // namespace cuda
}  // namespace mixdim
