// Row maintenance on the device: moves between size classes, seeded initialisation, the gathers
// and scatters behind host reads and writes, and the location table's updates. None of these is on
// the training step's path; each is one launch over its rows with a group of lanes per row.
#include <stdint.h>

#include "../native/kernels/philox.h"
#include "cuda_check.cuh"
#include "launch_geometry.cuh"
#include "row_access.cuh"
#include "store_kernels.cuh"

namespace mixdim {
namespace cuda {

namespace {

template <int W>
__device__ __forceinline__ bool state_takes_vectors(const RowRef& row) {
  return row_takes_vectors<W>(row.weights, row.dim) &&
         (row.moment1 == nullptr || row_takes_vectors<W>(row.moment1, row.dim)) &&
         (row.moment2 == nullptr || row_takes_vectors<W>(row.moment2, row.dim));
}

// to[j] = padded_row_element(from, d_from, j) for j < d_to (truncated or zero-extended), for the
// weights and each moment, and to's row state = from's; or, when init_row >= 0, to[j] = init[init_row, j]
// with zeroed state. Bandwidth-bound at about (1 + #moments)·(d_from + d_to)·4 bytes per move.
// Moves never write a slot that another move of the same launch reads (EmbeddingStore takes the new
// slots while the old ones are still held), and a lane reads and writes only its own floats.
template <int W>
__global__ void __launch_bounds__(kBlockThreads)
    move_rows_kernel(const __grid_constant__ StoreView store, const RowMove* __restrict__ moves, int64_t n,
                     const float* __restrict__ init, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  const float zeros[W] = {};
  for (int64_t i = group.first; i < n; i += group.stride) {
    const RowMove move = moves[i];
    const RowRef to = row_at(store, move.to);
    const bool to_vectors = state_takes_vectors<W>(to);
    if (move.init_row >= 0) {
      // W divides max_dim and init is W-aligned, so the source row always takes vectors.
      const float* source = init + static_cast<int64_t>(move.init_row) * max_dim;
      for (int j = group.lane * W; j < to.dim; j += width * W) {
        float v[W];
        load_padded<W, true>(source, max_dim, j, true, v);
        store_clipped<W>(to.weights, to.dim, j, to_vectors, v);
        if (to.moment1 != nullptr) store_clipped<W>(to.moment1, to.dim, j, to_vectors, zeros);
        if (to.moment2 != nullptr) store_clipped<W>(to.moment2, to.dim, j, to_vectors, zeros);
      }
      if (to.row_state != nullptr && group.lane == 0) *to.row_state = 0.0f;
      continue;
    }
    const RowRef from = row_at(store, move.from);
    const bool from_vectors = state_takes_vectors<W>(from);
    for (int j = group.lane * W; j < to.dim; j += width * W) {
      float v[W];
      load_padded<W>(from.weights, from.dim, j, from_vectors, v);
      store_clipped<W>(to.weights, to.dim, j, to_vectors, v);
      if (to.moment1 != nullptr) {
        load_padded<W>(from.moment1, from.dim, j, from_vectors, v);
        store_clipped<W>(to.moment1, to.dim, j, to_vectors, v);
      }
      if (to.moment2 != nullptr) {
        load_padded<W>(from.moment2, from.dim, j, from_vectors, v);
        store_clipped<W>(to.moment2, to.dim, j, to_vectors, v);
      }
    }
    if (to.row_state != nullptr && group.lane == 0) *to.row_state = *from.row_state;
  }
}

// w[j] = std · philox_normal(seed, id, j) for j < d, with zeroed optimizer state.
// Arithmetic-bound: ten Philox rounds and a Box-Muller transform per float written.
__global__ void __launch_bounds__(kBlockThreads)
    init_rows_kernel(const __grid_constant__ StoreView store, const RowInit* __restrict__ inits, int64_t n,
                     uint64_t seed, float std, int width) {
  const GroupLayout group = group_layout(width);
  for (int64_t i = group.first; i < n; i += group.stride) {
    const RowInit init = inits[i];
    const RowRef row = row_at(store, init.location);
    const uint32_t id = static_cast<uint32_t>(init.id);
    for (int j = group.lane; j < row.dim; j += width) {
      row.weights[j] = std * philox_normal(seed, id, static_cast<uint32_t>(j));
      if (row.moment1 != nullptr) row.moment1[j] = 0.0f;
      if (row.moment2 != nullptr) row.moment2[j] = 0.0f;
    }
    if (row.row_state != nullptr && group.lane == 0) *row.row_state = 0.0f;
  }
}

// out[i, j] = padded_row_element(row at locations[i], d, j) for j < d_max.
// Bandwidth-bound at Σ_i d_i·4 bytes read and n·d_max·4 written.
template <int W>
__global__ void __launch_bounds__(kBlockThreads)
    gather_rows_kernel(const __grid_constant__ StoreView store, const int32_t* __restrict__ locations, int64_t n,
                       float* __restrict__ out, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  for (int64_t i = group.first; i < n; i += group.stride) {
    const int32_t location = locations[i];
    const float* row = row_weights(store, location);
    const int dim = row_dim(store, location);
    const bool vectors = row_takes_vectors<W>(row, dim);
    for (int j = group.lane * W; j < max_dim; j += width * W) {
      float v[W];
      load_padded<W, true>(row, dim, j, vectors, v);
      store_vector<W>(out + i * max_dim + j, v);
    }
  }
}

// row at locations[i] [j] = values[i, j] for j < d: the padding of each input row is dropped.
// Bandwidth-bound at 2·Σ_i d_i·4 bytes. Locations are distinct, so no two groups write one row.
template <int W>
__global__ void __launch_bounds__(kBlockThreads)
    scatter_rows_kernel(const __grid_constant__ StoreView store, const int32_t* __restrict__ locations, int64_t n,
                        const float* __restrict__ values, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  for (int64_t i = group.first; i < n; i += group.stride) {
    const int32_t location = locations[i];
    float* row = row_weights(store, location);
    const int dim = row_dim(store, location);
    const bool vectors = row_takes_vectors<W>(row, dim);
    for (int j = group.lane * W; j < dim; j += width * W) {
      float v[W];
      load_vector<W, true>(values + i * max_dim + j, v);
      store_clipped<W>(row, dim, j, vectors, v);
    }
  }
}

// table[entries[2i]] = entries[2i + 1]: 8 bytes read and 4 scattered per changed id, latency-bound for
// the few ids a resize changes. Duplicate ids carry the same location, so any order is right.
__global__ void __launch_bounds__(kBlockThreads)
    scatter_locations_kernel(int32_t* __restrict__ table, const int2* __restrict__ entries, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int2 entry = entries[i];
    table[entry.x] = entry.y;
  }
}

template <int W>
void move_rows_with(const StoreView& store, const RowMove* moves, int64_t n, const float* init,
                    const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  const auto kernel = move_rows_kernel<W>;
  kernel<<<grid_blocks(kernel, n * width, shape), kBlockThreads>>>(store, moves, n, init, width);
  check_launch("move_rows_kernel");
}

template <int W>
void gather_rows_with(const StoreView& store, const int32_t* locations, int64_t n, float* out,
                      const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  const auto kernel = gather_rows_kernel<W>;
  kernel<<<grid_blocks(kernel, n * width, shape), kBlockThreads>>>(store, locations, n, out, width);
  check_launch("gather_rows_kernel");
}

template <int W>
void scatter_rows_with(const StoreView& store, const int32_t* locations, int64_t n, const float* values,
                       const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  const auto kernel = scatter_rows_kernel<W>;
  kernel<<<grid_blocks(kernel, n * width, shape), kBlockThreads>>>(store, locations, n, values, width);
  check_launch("scatter_rows_kernel");
}

}  // namespace

void launch_move_rows(const StoreView& store, const RowMove* moves, int64_t n, const float* init,
                      const LaunchShape& shape) {
  if (n == 0) return;
  switch (vector_width(store.max_dim, {init})) {
    case 4:
      return move_rows_with<4>(store, moves, n, init, shape);
    case 2:
      return move_rows_with<2>(store, moves, n, init, shape);
    default:
      return move_rows_with<1>(store, moves, n, init, shape);
  }
}

void launch_init_rows(const StoreView& store, const RowInit* inits, int64_t n, uint64_t seed, float std,
                      const LaunchShape& shape) {
  if (n == 0) return;
  const int width = group_width(store.max_dim, 1);
  init_rows_kernel<<<grid_blocks(init_rows_kernel, n * width, shape), kBlockThreads>>>(store, inits, n, seed, std,
                                                                                       width);
  check_launch("init_rows_kernel");
}

void launch_gather_rows(const StoreView& store, const int32_t* locations, int64_t n, float* out,
                        const LaunchShape& shape) {
  if (n == 0) return;
  switch (vector_width(store.max_dim, {out})) {
    case 4:
      return gather_rows_with<4>(store, locations, n, out, shape);
    case 2:
      return gather_rows_with<2>(store, locations, n, out, shape);
    default:
      return gather_rows_with<1>(store, locations, n, out, shape);
  }
}

void launch_scatter_rows(const StoreView& store, const int32_t* locations, int64_t n, const float* values,
                         const LaunchShape& shape) {
  if (n == 0) return;
  switch (vector_width(store.max_dim, {values})) {
    case 4:
      return scatter_rows_with<4>(store, locations, n, values, shape);
    case 2:
      return scatter_rows_with<2>(store, locations, n, values, shape);
    default:
      return scatter_rows_with<1>(store, locations, n, values, shape);
  }
}

void launch_scatter_locations(int32_t* table, const int32_t* entries, int64_t n, const LaunchShape& shape) {
  if (n == 0) return;
  scatter_locations_kernel<<<grid_blocks(scatter_locations_kernel, n, shape), kBlockThreads>>>(
      table, reinterpret_cast<const int2*>(entries), n);
  check_launch("scatter_locations_kernel");
}

}  // namespace cuda
}  // namespace mixdim
