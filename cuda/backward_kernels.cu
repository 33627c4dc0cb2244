// The backward path on the device, after FBGEMM's TBE backward: the batch is grouped by row
// (device_row_segments.cu), then one group of lanes per unique row sums that row's gradient rows
// in batch order and either writes the sum (sparse_gradient) or applies the optimizer to the row
// at once (fused step), so no dense gradient is built, no atomics are used, and every run adds
// the same floats in the same order as the CPU (native/cpu_store_backend.cc).
#include <math.h>
#include <stdint.h>

#include "../native/kernels/lookup.h"
#include "../native/kernels/sparse_optimizer.h"
#include "cuda_check.cuh"
#include "launch_geometry.cuh"
#include "row_access.cuh"
#include "store_kernels.cuh"

namespace mixdim {
namespace cuda {

namespace {

// Gradient rows a lane loads before adding them: the adds stay in batch order, the loads overlap.
constexpr int kSegmentPrefetch = 8;

// A lane's tiles: in the chunk of width·W·V floats starting at `chunk`, tile t is the W floats at
// j_t = chunk + (t·width + lane)·W, so consecutive lanes touch consecutive floats.
__device__ __forceinline__ int tile_start(int chunk, int t, int width, int lane, int W) {
  return chunk + (t * width + lane) * W;
}

// acc[t][e] = Σ_k grad_out[positions[k], j_t + e] for k = begin, begin + 1, …, end - 1 in that order,
// for each tile with j_t < limit; tiles at or past limit stay 0. W divides max_dim and grad_out is
// W-aligned, so every gradient access is one vector.
template <int W, int V>
__device__ __forceinline__ void sum_segment(const float* __restrict__ grad_out, int max_dim,
                                            const int32_t* __restrict__ positions, int64_t begin, int64_t end,
                                            int chunk, int width, int lane, int limit, float (&acc)[V][W]) {
#pragma unroll
  for (int t = 0; t < V; ++t) {
#pragma unroll
    for (int e = 0; e < W; ++e) acc[t][e] = 0.0f;
    const int j = tile_start(chunk, t, width, lane, W);
    if (j >= limit) continue;
    const float* column = grad_out + j;
    int64_t k = begin;
    for (; k + kSegmentPrefetch <= end; k += kSegmentPrefetch) {
      float g[kSegmentPrefetch][W];
#pragma unroll
      for (int u = 0; u < kSegmentPrefetch; ++u) {
        load_vector<W, true>(column + static_cast<int64_t>(__ldg(positions + k + u)) * max_dim, g[u]);
      }
#pragma unroll
      for (int u = 0; u < kSegmentPrefetch; ++u) {
#pragma unroll
        for (int e = 0; e < W; ++e) acc[t][e] += g[u][e];
      }
    }
    for (; k < end; ++k) {
      float g[W];
      load_vector<W, true>(column + static_cast<int64_t>(__ldg(positions + k)) * max_dim, g);
#pragma unroll
      for (int e = 0; e < W; ++e) acc[t][e] += g[e];
    }
  }
}

// q[t][e] = rowwise_adagrad_square(g_j, w_j) for this lane's tiles of the chunk, 0 at j ≥ d.
template <int W, int V>
__device__ __forceinline__ void tile_squares(const RowRef& row, bool vectors, int chunk, int width, int lane,
                                             const float (&g)[V][W], const SparseOptimizerStep& step,
                                             float (&q)[V][W]) {
#pragma unroll
  for (int t = 0; t < V; ++t) {
    const int j = tile_start(chunk, t, width, lane, W);
    float w[W] = {};
    if (j < row.dim) load_padded<W>(row.weights, row.dim, j, vectors, w);
#pragma unroll
    for (int e = 0; e < W; ++e) q[t][e] = j + e < row.dim ? rowwise_adagrad_square(g[t][e], w[e], step) : 0.0f;
  }
}

// sum + q_j over the chunk's j in increasing order, one add at a time, as the CPU adds them: every
// lane of the group receives each lane's q in turn by shuffle, so all of them hold the same sum.
// Tile t of lane l covers j = chunk + (t·width + l)·W + e, so (t, l, e) in order is j in order.
// Every lane of the warp must call it. The zeros past d add nothing (sum + 0 = sum).
template <int W, int V>
__device__ __forceinline__ float ordered_group_sum(float sum, const float (&q)[V][W], int width) {
#pragma unroll
  for (int t = 0; t < V; ++t) {
    for (int source = 0; source < width; ++source) {
#pragma unroll
      for (int e = 0; e < W; ++e) sum += __shfl_sync(0xffffffffu, q[t][e], source, width);
    }
  }
  return sum;
}

// Moves this lane's tiles of the row by `step` with their summed gradients g (native/kernels/sparse_optimizer.h).
template <int W, int V>
__device__ __forceinline__ void update_tiles(const RowRef& row, bool vectors, int chunk, int width, int lane,
                                             const float (&g)[V][W], const SparseOptimizerStep& step,
                                             float accumulated) {
#pragma unroll
  for (int t = 0; t < V; ++t) {
    const int j = tile_start(chunk, t, width, lane, W);
    if (j >= row.dim) continue;
    float w[W];
    load_padded<W>(row.weights, row.dim, j, vectors, w);
    if (step.kind == kLazyAdam) {
      float m[W], v[W];
      load_padded<W>(row.moment1, row.dim, j, vectors, m);
      load_padded<W>(row.moment2, row.dim, j, vectors, v);
#pragma unroll
      for (int e = 0; e < W; ++e) {
        if (j + e < row.dim) lazy_adam_update(&w[e], &m[e], &v[e], g[t][e], step);
      }
      store_clipped<W>(row.moment1, row.dim, j, vectors, m);
      store_clipped<W>(row.moment2, row.dim, j, vectors, v);
    } else if (step.kind == kRowwiseAdagrad) {
#pragma unroll
      for (int e = 0; e < W; ++e) {
        if (j + e < row.dim) rowwise_adagrad_update(&w[e], g[t][e], accumulated, step);
      }
    } else {
#pragma unroll
      for (int e = 0; e < W; ++e) {
        if (j + e < row.dim) sgd_update(&w[e], g[t][e], step);
      }
    }
    store_clipped<W>(row.weights, row.dim, j, vectors, w);
  }
}

// ok = every grad_out[b, j] with j < d(ids[b]) is finite; *nonfinite = 1 otherwise.
// Bandwidth-bound at Σ_b d(ids[b])·4 bytes of gradient read (plus ids and locations).
template <int W>
__global__ void __launch_bounds__(kBlockThreads)
    find_nonfinite_kernel(const __grid_constant__ StoreView store, const int32_t* __restrict__ ids, int64_t n,
                          const float* __restrict__ grad_out, int32_t* __restrict__ nonfinite, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  bool finite = true;
  for (int64_t b = group.first; b < n; b += group.stride) {
    const int dim = row_dim(store, __ldg(store.locations + __ldg(ids + b)));
    const float* g = grad_out + b * max_dim;
    for (int j = group.lane * W; j < dim; j += width * W) {
      float v[W];
      load_vector<W, true>(g + j, v);
#pragma unroll
      for (int e = 0; e < W; ++e) {
        if (j + e < dim) finite = finite && isfinite(v[e]);
      }
    }
  }
  if (!finite) *nonfinite = 1;  // every writer stores the same value
}

// unique_ids[s] = id_s; values[s, j] = Σ_{k ∈ segment s} grad_out[positions[k], j] for j < d(id_s), 0 up to d_max.
// Bandwidth-bound: reads Σ_b d(ids[b])·4 bytes of gradient rows and writes U·d_max·4 bytes; a group of
// `width` lanes per unique row, up to kSegmentPrefetch gradient rows in flight per lane.
template <int W, int V>
__global__ void __launch_bounds__(kBlockThreads)
    segment_gradient_kernel(const __grid_constant__ StoreView store, const DeviceSegments segments,
                            int64_t segment_count, const float* __restrict__ grad_out,
                            int32_t* __restrict__ unique_ids, float* __restrict__ values, int width) {
  const GroupLayout group = group_layout(width);
  const int max_dim = store.max_dim;
  const int chunk_floats = width * W * V;
  for (int64_t s = group.first; s < segment_count; s += group.stride) {
    const int32_t id = __ldg(segments.ids + s);
    const int dim = row_dim(store, __ldg(store.locations + id));
    const int64_t begin = __ldg(segments.starts + s);
    const int64_t end = s + 1 < segment_count ? __ldg(segments.starts + s + 1) : segments.n;
    if (group.lane == 0) unique_ids[s] = id;
    float* out = values + s * max_dim;
    for (int chunk = 0; chunk < max_dim; chunk += chunk_floats) {
      float acc[V][W];
      sum_segment<W, V>(grad_out, max_dim, segments.positions, begin, end, chunk, width, group.lane, dim, acc);
#pragma unroll
      for (int t = 0; t < V; ++t) {
        const int j = tile_start(chunk, t, width, group.lane, W);
        if (j >= max_dim) continue;
        float padded[W];
#pragma unroll
        for (int e = 0; e < W; ++e) padded[e] = padded_row_element(acc[t], dim - j, e);
        store_vector<W>(out + j, padded);
      }
    }
  }
}

// For each unique row: g_j = Σ_{k ∈ segment} grad_out[positions[k], j] in batch order, then
// sgd_update / lazy_adam_update on every j < d, or for row-wise Adagrad
// G ← G + (Σ_j rowwise_adagrad_square(g_j, w_j)) / d and rowwise_adagrad_update with the new G.
//
// Bandwidth-bound: Σ_b d(ids[b])·4 bytes of gradient rows read, and (2 + 2·#moments)·d·4 bytes of row
// and state read and written per unique row. The groups of a warp walk the rows in step (the loop
// bound is the same for the whole warp) so that Adagrad's row sums can use full-warp shuffles; they
// add the squares in increasing j, one at a time, as the CPU does, so G has the CPU's bits. A row
// wider than one chunk of width·W·V floats is summed twice for Adagrad, once for G and once to update.
template <int W, int V>
__global__ void __launch_bounds__(kBlockThreads)
    fused_step_kernel(const __grid_constant__ StoreView store, const DeviceSegments segments,
                      const float* __restrict__ grad_out, const __grid_constant__ SparseOptimizerStep step,
                      int width) {
  const int shift = __ffs(width) - 1;  // width is a power of two
  const int64_t thread = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  const int lane = static_cast<int>(thread & (width - 1));
  const int groups_per_warp = 32 >> shift;
  const int group_in_warp = static_cast<int>(threadIdx.x & 31) >> shift;
  const int64_t count = *segments.count;
  const int max_dim = store.max_dim;
  const int chunk_floats = width * W * V;

  for (int64_t base = (thread >> 5) * groups_per_warp; base < count; base += warps * groups_per_warp) {
    const int64_t s = base + group_in_warp;
    const bool valid = s < count;
    RowRef row{};
    int64_t begin = 0;
    int64_t end = 0;
    bool vectors = false;
    if (valid) {
      row = row_at(store, store.locations[segments.ids[s]]);
      begin = segments.starts[s];
      end = s + 1 < count ? segments.starts[s + 1] : segments.n;
      vectors = row_takes_vectors<W>(row.weights, row.dim) &&
                (row.moment1 == nullptr || row_takes_vectors<W>(row.moment1, row.dim)) &&
                (row.moment2 == nullptr || row_takes_vectors<W>(row.moment2, row.dim));
    }
    float g[V][W];
    if (step.kind == kRowwiseAdagrad) {
      // The chunk loop runs to max_dim for the whole warp, because ordered_group_sum shuffles.
      float squares = 0.0f;
      for (int chunk = 0; chunk < max_dim; chunk += chunk_floats) {
        float q[V][W] = {};
        if (valid && chunk < row.dim) {
          sum_segment<W, V>(grad_out, max_dim, segments.positions, begin, end, chunk, width, lane, row.dim, g);
          tile_squares<W, V>(row, vectors, chunk, width, lane, g, step, q);
        }
        squares = ordered_group_sum<W, V>(squares, q, width);
      }
      float accumulated = 0.0f;
      if (valid && lane == 0) {
        accumulated = *row.row_state + squares / static_cast<float>(row.dim);
        *row.row_state = accumulated;
      }
      accumulated = __shfl_sync(0xffffffffu, accumulated, 0, width);
      if (valid) {
        const bool one_chunk = row.dim <= chunk_floats;  // then g still holds the whole row's sums
        for (int chunk = 0; chunk < row.dim; chunk += chunk_floats) {
          if (!one_chunk) {
            sum_segment<W, V>(grad_out, max_dim, segments.positions, begin, end, chunk, width, lane, row.dim, g);
          }
          update_tiles<W, V>(row, vectors, chunk, width, lane, g, step, accumulated);
        }
      }
    } else if (valid) {
      for (int chunk = 0; chunk < row.dim; chunk += chunk_floats) {
        sum_segment<W, V>(grad_out, max_dim, segments.positions, begin, end, chunk, width, lane, row.dim, g);
        update_tiles<W, V>(row, vectors, chunk, width, lane, g, step, 0.0f);
      }
    }
  }
}

// Tiles per lane: enough that one chunk covers max_dim where that takes at most 4.
int tiles_per_lane(int64_t max_dim, int width, int W) {
  const int64_t per_tile = static_cast<int64_t>(width) * W;
  if (max_dim <= per_tile) return 1;
  if (max_dim <= 2 * per_tile) return 2;
  return 4;
}

template <int W>
void find_nonfinite_with(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                         int32_t* nonfinite, const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  const auto kernel = find_nonfinite_kernel<W>;
  kernel<<<grid_blocks(kernel, n * width, shape), kBlockThreads>>>(store, ids, n, grad_out, nonfinite, width);
  check_launch("find_nonfinite_kernel");
}

template <int W, int V>
void segment_gradient_with(const StoreView& store, const DeviceSegments& segments, int64_t segment_count,
                           const float* grad_out, int32_t* unique_ids, float* values, int width,
                           const LaunchShape& shape) {
  const auto kernel = segment_gradient_kernel<W, V>;
  kernel<<<grid_blocks(kernel, segment_count * width, shape), kBlockThreads>>>(store, segments, segment_count,
                                                                               grad_out, unique_ids, values, width);
  check_launch("segment_gradient_kernel");
}

template <int W>
void segment_gradient_with(const StoreView& store, const DeviceSegments& segments, int64_t segment_count,
                           const float* grad_out, int32_t* unique_ids, float* values, const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  switch (tiles_per_lane(store.max_dim, width, W)) {
    case 1:
      return segment_gradient_with<W, 1>(store, segments, segment_count, grad_out, unique_ids, values, width, shape);
    case 2:
      return segment_gradient_with<W, 2>(store, segments, segment_count, grad_out, unique_ids, values, width, shape);
    default:
      return segment_gradient_with<W, 4>(store, segments, segment_count, grad_out, unique_ids, values, width, shape);
  }
}

template <int W, int V>
void fused_step_with(const StoreView& store, const DeviceSegments& segments, const float* grad_out,
                     const SparseOptimizerStep& step, int width, const LaunchShape& shape) {
  const auto kernel = fused_step_kernel<W, V>;
  // Sized for the worst case of n unique rows; the kernel reads the true count on the device.
  kernel<<<grid_blocks(kernel, segments.n * width, shape), kBlockThreads>>>(store, segments, grad_out, step, width);
  check_launch("fused_step_kernel");
}

template <int W>
void fused_step_with(const StoreView& store, const DeviceSegments& segments, const float* grad_out,
                     const SparseOptimizerStep& step, const LaunchShape& shape) {
  const int width = group_width(store.max_dim, W);
  switch (tiles_per_lane(store.max_dim, width, W)) {
    case 1:
      return fused_step_with<W, 1>(store, segments, grad_out, step, width, shape);
    case 2:
      return fused_step_with<W, 2>(store, segments, grad_out, step, width, shape);
    default:
      return fused_step_with<W, 4>(store, segments, grad_out, step, width, shape);
  }
}

}  // namespace

void launch_find_nonfinite(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                           int32_t* nonfinite, const LaunchShape& shape) {
  if (n == 0) return;
  switch (vector_width(store.max_dim, {grad_out})) {
    case 4:
      return find_nonfinite_with<4>(store, ids, n, grad_out, nonfinite, shape);
    case 2:
      return find_nonfinite_with<2>(store, ids, n, grad_out, nonfinite, shape);
    default:
      return find_nonfinite_with<1>(store, ids, n, grad_out, nonfinite, shape);
  }
}

void launch_segment_gradient(const StoreView& store, const DeviceSegments& segments, int64_t segment_count,
                             const float* grad_out, int32_t* unique_ids, float* values, const LaunchShape& shape) {
  if (segment_count == 0) return;
  switch (vector_width(store.max_dim, {grad_out, values})) {
    case 4:
      return segment_gradient_with<4>(store, segments, segment_count, grad_out, unique_ids, values, shape);
    case 2:
      return segment_gradient_with<2>(store, segments, segment_count, grad_out, unique_ids, values, shape);
    default:
      return segment_gradient_with<1>(store, segments, segment_count, grad_out, unique_ids, values, shape);
  }
}

void launch_fused_step(const StoreView& store, const DeviceSegments& segments, const float* grad_out,
                       const SparseOptimizerStep& step, const LaunchShape& shape) {
  if (segments.n == 0) return;
  switch (vector_width(store.max_dim, {grad_out})) {
    case 4:
      return fused_step_with<4>(store, segments, grad_out, step, shape);
    case 2:
      return fused_step_with<2>(store, segments, grad_out, step, shape);
    default:
      return fused_step_with<1>(store, segments, grad_out, step, shape);
  }
}

}  // namespace cuda
}  // namespace mixdim
