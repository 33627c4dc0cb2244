// Sparse propagation, LightGCN's layer: out = Â·X for a CSR matrix Â [N × M] and rows X [M × D],
//
//   out[i, j] = Σ_{p ∈ [rowPtr[i], rowPtr[i+1])} val[p] · X[col[p], j]
//
// where X is dense, or the rows of a mixed-dimension store with row c zero beyond its size d_c
// (padded_row_element), the output then padded to d_max. The backward is the same product with
// Âᵀ: dX = Âᵀ·dOut, run on the transpose's CSR, so no kernel ever scatters or needs atomics.
//
// Work is cut along the merge path of the CSR (Merrill & Garland, "Merge-based parallel sparse
// matrix-vector multiplication", SC'16): the N row ends and the nnz entries form one sequence of
// N + nnz items, and chunk t owns items [t·C, (t+1)·C) with C = kMergeChunk. Every chunk costs
// the same whatever the degrees, so a power-law hub (an item with 10⁵ interactions) is spread over
// many chunks instead of holding one thread for the whole kernel. A chunk writes the rows whose
// end it holds, and hands the partial sum of the row still open at its end to a fix-up pass
// ("carry"). Summation order is therefore fixed by the graph and C alone:
//
//   out[i] = (carry_t0 + carry_t0+1 + … + carry_tk−1) + tail_tk,   each piece summed in CSR order,
//
// the same on the CPU and on CUDA and for any thread or block count; a row within one chunk (every
// row of degree < C, in any case) is summed plainly in CSR order. The CUDA kernels use unfused
// multiply-adds (add_product), so CPU and CUDA agree bit for bit.
//
// Bandwidth-bound: per call it reads 4·(N+1) + 8·nnz bytes of CSR, 4·nnz·D of rows (4·Σ_p d_col[p]
// for the store) and writes 4·N·D, with one multiply-add per row element read. Measured on the
// benchmark graph (ts/bench/propagation_bench.ts, 150k nodes, 3.7M entries, D = 64): 3–10 GB/s
// on a 2-core EPYC shared with other jobs; CUDA not yet measured (target ≥ 0.6 × copy).
//
// Memory safety does not depend on the CSR being valid: every index the walk reads is clamped to
// the arrays' extents (rowPtr's ends are checked by the binding on every call), so a graph that
// changed after it was validated gives wrong values, never a read out of bounds.
#pragma once

#include <stdint.h>

#include "hd.h"
#include "lookup.h"
#include "store_layout.h"

namespace mixdim {

// Items of the merge path per chunk. It fixes the summation order, so CPU and CUDA share it.
constexpr int64_t kMergeChunk = 256;
// Entries ahead of the one being summed whose rows a lane may prefetch (the CPU's do; CUDA's don't).
constexpr int64_t kPrefetchDistance = 8;

// A CSR matrix [num_rows × num_cols] with nnz entries, as the kernels see it.
struct CsrView {
  const int32_t* row_ptr;  // num_rows + 1, row_ptr[0] = 0, row_ptr[num_rows] = nnz
  const int32_t* col_idx;  // nnz, in [0, num_cols)
  const float* values;     // nnz
  int64_t num_rows;
  int64_t num_cols;
  int64_t nnz;
};

// A point on the merge path: `row` row ends and `entry` entries consumed.
struct MergeCoordinate {
  int64_t row;
  int64_t entry;
};

MIXDIM_HD int64_t merge_path_length(const CsrView& a) { return a.num_rows + a.nnz; }
MIXDIM_HD int64_t merge_chunk_count(const CsrView& a) {
  return (merge_path_length(a) + kMergeChunk - 1) / kMergeChunk;
}

// The coordinate after `diagonal` items: the row ends and entries interleaved so that row i's end
// follows its entries. A binary search on row_ptr; any row_ptr gives a coordinate within bounds
// (row ∈ [0, num_rows], entry ∈ [0, nnz]).
MIXDIM_HD MergeCoordinate merge_path_search(const CsrView& a, int64_t diagonal) {
  int64_t low = diagonal > a.nnz ? diagonal - a.nnz : 0;
  int64_t high = diagonal < a.num_rows ? diagonal : a.num_rows;
  while (low < high) {
    const int64_t pivot = (low + high) >> 1;
    // Row `pivot` ends before entry diagonal − pivot − 1 when all its entries come earlier.
    if (static_cast<int64_t>(a.row_ptr[pivot + 1]) <= diagonal - pivot - 1) {
      low = pivot + 1;
    } else {
      high = pivot;
    }
  }
  return MergeCoordinate{low, diagonal - low};
}

// Walks chunk `chunk` of the merge path, calling on `lane`:
//   add(value, col)  for each entry of the current row, in CSR order (cols out of range skipped),
//   finish(row)      when row `row` ends inside the chunk: the lane writes its sum and restarts at 0,
//   carry(row)       at the chunk's end: the partial sum of the row left open (row = num_rows: none),
//   prefetch(col)    for the entry kPrefetchDistance ahead within the chunk (cols unchecked: the
//                    lane checks before it touches memory). A hint: it changes no value.
// The lane starts at 0. CPU lanes hold all D columns, CUDA lanes W of them; the walk is the same.
template <typename Lane>
MIXDIM_HD void merge_chunk_walk(const CsrView& a, int64_t chunk, Lane& lane) {
  const int64_t total = merge_path_length(a);
  const int64_t first = chunk * kMergeChunk;
  const int64_t last = first + kMergeChunk < total ? first + kMergeChunk : total;
  MergeCoordinate at = merge_path_search(a, first);
  const MergeCoordinate end = merge_path_search(a, last);
  for (; at.row < end.row; ++at.row) {
    int64_t row_end = a.row_ptr[at.row + 1];
    row_end = row_end < at.entry ? at.entry : (row_end > end.entry ? end.entry : row_end);
#if defined(__CUDA_ARCH__)
#pragma unroll 4
#endif
    for (; at.entry < row_end; ++at.entry) {
      if (at.entry + kPrefetchDistance < end.entry) lane.prefetch(a.col_idx[at.entry + kPrefetchDistance]);
      const int32_t col = a.col_idx[at.entry];
      if (col >= 0 && col < a.num_cols) lane.add(a.values[at.entry], col);
    }
    lane.finish(at.row);
  }
  for (; at.entry < end.entry; ++at.entry) {
    if (at.entry + kPrefetchDistance < end.entry) lane.prefetch(a.col_idx[at.entry + kPrefetchDistance]);
    const int32_t col = a.col_idx[at.entry];
    if (col >= 0 && col < a.num_cols) lane.add(a.values[at.entry], col);
  }
  lane.carry(end.row);
}

// Whether chunk t starts a run of chunks carrying into one row: the fix-up's unit of work.
MIXDIM_HD bool carry_run_starts(const int64_t* carry_rows, int64_t t, int64_t num_rows) {
  return carry_rows[t] < num_rows && (t == 0 || carry_rows[t - 1] != carry_rows[t]);
}

// acc + a·b rounded twice (no fused multiply-add), so CPU and CUDA sum to the same bits.
MIXDIM_HD float add_product(float acc, float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(acc, __fmul_rn(a, b));
#else
  return acc + a * b;
#endif
}

// Row c of the store as the dense kernel sees X: its weights and size; it reads as 0 from d_c on.
struct StoreRow {
  const float* weights;
  int32_t dim;
};

MIXDIM_HD StoreRow store_row(const StoreView& store, int32_t col) {
  const int32_t location = store.locations[col];
  return StoreRow{row_weights(store, location), row_dim(store, location)};
}

// The kinds of invalid CSR, in the order the binding reports them.
enum CsrIssueKind : int32_t {
  kCsrValid = 0,
  kRowPtrStart = 1,       // row_ptr[0] ≠ 0
  kRowPtrDecreasing = 2,  // row_ptr[i] < row_ptr[i − 1]
  kRowPtrEnd = 3,         // row_ptr[num_rows] ≠ nnz
  kColumnOutOfRange = 4,  // col_idx[p] ∉ [0, num_cols)
  kValueNotFinite = 5,    // values[p] is NaN or ±Infinity
};
constexpr int kCsrIssueKinds = 6;

// The first problem of a CSR: `index` is the offending position in its array; `value` the entry
// (row_ptr or col_idx), `previous` row_ptr[index − 1] for kRowPtrDecreasing, `number` the value.
struct CsrIssue {
  int32_t kind = kCsrValid;
  int64_t index = -1;
  int64_t value = 0;
  int64_t previous = 0;
  float number = 0.0f;
};

}  // namespace mixdim
