// The embedding store's CUDA kernels, as host functions that choose the launch geometry and
// enqueue on the default stream. Each checks its launch and returns without waiting; the
// backend (cuda_store_backend.cu) synchronises before control goes back to JavaScript.
//
//   lookup_kernels.cu    the forward path: id validation and the padded gather
//   backward_kernels.cu  gradient checks, segment sums and the fused optimizer step
//   row_kernels.cu       row maintenance: moves, initialisation, host reads and writes, location sync
//
// All pointers are device pointers; every id and location has been validated by the caller.
#pragma once

#include <stdint.h>

#include "../native/store_backend.h"
#include "device_row_segments.cuh"
#include "launch_geometry.cuh"

namespace mixdim {
namespace cuda {

// *first = min { b : ids[b] outside [0, num_rows) }; *first must hold UINT64_MAX beforehand.
void launch_find_invalid_id(const int32_t* ids, int64_t n, int64_t num_rows, unsigned long long* first,
                            const LaunchShape& shape);
void launch_lookup(const StoreView& store, const int32_t* ids, int64_t n, float* out, const LaunchShape& shape);

// *nonfinite = 1 if some grad_out[b, j] with j < d(ids[b]) is NaN or ±Inf; left as it was otherwise.
void launch_find_nonfinite(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                           int32_t* nonfinite, const LaunchShape& shape);
// unique_ids[s] = segment s's id; values[s, j] = Σ_k grad_out[positions[k], j] over the segment, 0 for j >= d.
void launch_segment_gradient(const StoreView& store, const DeviceSegments& segments, int64_t segment_count,
                             const float* grad_out, int32_t* unique_ids, float* values, const LaunchShape& shape);
// The segment sums, applied straight to each row by `step`; reads the segment count on the device.
void launch_fused_step(const StoreView& store, const DeviceSegments& segments, const float* grad_out,
                       const SparseOptimizerStep& step, const LaunchShape& shape);

void launch_move_rows(const StoreView& store, const RowMove* moves, int64_t n, const float* init,
                      const LaunchShape& shape);
void launch_init_rows(const StoreView& store, const RowInit* inits, int64_t n, uint64_t seed, float std,
                      const LaunchShape& shape);
// out[i, :] = the row at locations[i], padded to max_dim.
void launch_gather_rows(const StoreView& store, const int32_t* locations, int64_t n, float* out,
                        const LaunchShape& shape);
// The row at locations[i] = values[i, 0 .. d); locations are distinct.
void launch_scatter_rows(const StoreView& store, const int32_t* locations, int64_t n, const float* values,
                         const LaunchShape& shape);
// table[entries[2i]] = entries[2i + 1]: (id, location) pairs from the host's table.
void launch_scatter_locations(int32_t* table, const int32_t* entries, int64_t n, const LaunchShape& shape);

}  // namespace cuda
}  // namespace mixdim
