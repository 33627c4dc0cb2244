// Sparse propagation on the CPU: the merge-path chunks of native/kernels/sparse_propagation.h over
// the thread pool, each chunk summing whole rows of D floats at a time (the inner loop over D
// vectorises), then the fix-up that adds the carries of rows spanning chunks.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "../kernel_registry.h"
#include "../kernels/sparse_propagation.h"
#include "../thread_pool.h"
#include "sparse_propagation.h"

namespace mixdim {

namespace {

// Chunks per task: each is kMergeChunk items, so a task is a few thousand rows or entries.
constexpr int64_t kChunkGrain = 8;
constexpr int64_t kCheckGrain = 1 << 16;
constexpr int64_t kFloatsPerLine = 16;  // 64-byte cache lines

// X as dense rows of `dim` floats.
struct DenseRows {
  const float* x;
  int64_t dim;
  int64_t num_cols;
  void accumulate(float* __restrict__ acc, float value, int32_t col) const {
    const float* __restrict__ row = x + static_cast<int64_t>(col) * dim;
    for (int64_t j = 0; j < dim; ++j) acc[j] = add_product(acc[j], value, row[j]);
  }
  void prefetch(int32_t col) const {
    if (col < 0 || col >= num_cols) return;
    const float* row = x + static_cast<int64_t>(col) * dim;
    for (int64_t j = 0; j < dim; j += kFloatsPerLine) __builtin_prefetch(row + j);
  }
};

// X as the store's rows: row c contributes its d_c floats, and nothing (zeros) from d_c on.
struct StoreRows {
  const StoreView* store;
  int64_t dim;
  void accumulate(float* __restrict__ acc, float value, int32_t col) const {
    const StoreRow row = store_row(*store, col);
    const float* __restrict__ weights = row.weights;
    const int64_t n = std::min<int64_t>(row.dim, dim);
    for (int64_t j = 0; j < n; ++j) acc[j] = add_product(acc[j], value, weights[j]);
  }
  void prefetch(int32_t col) const {
    if (col < 0 || col >= store->num_rows) return;
    __builtin_prefetch(store->locations + col);
  }
};

// One chunk's lane on the CPU: all `dim` columns at once.
template <typename Rows>
struct CpuLane {
  const Rows& rows;
  float* acc;
  float* out;
  float* carries;
  int64_t* carry_rows;
  int64_t chunk;

  void add(float value, int32_t col) { rows.accumulate(acc, value, col); }
  void prefetch(int32_t col) const { rows.prefetch(col); }
  void finish(int64_t row) {
    std::copy(acc, acc + rows.dim, out + row * rows.dim);
    std::fill(acc, acc + rows.dim, 0.0f);
  }
  void carry(int64_t row) {
    carry_rows[chunk] = row;
    std::copy(acc, acc + rows.dim, carries + chunk * rows.dim);
  }
};

template <typename Rows>
void propagate_chunks(const CsrView& a, const Rows& rows, float* out) {
  const int64_t dim = rows.dim;
  const int64_t chunks = merge_chunk_count(a);
  if (chunks == 0 || dim == 0) return;
  std::vector<float> carries(static_cast<size_t>(chunks * dim));
  std::vector<int64_t> carry_rows(static_cast<size_t>(chunks));
  ThreadPool& pool = ThreadPool::instance();
  pool.parallel_for(chunks, kChunkGrain, [&](int64_t begin, int64_t end) {
    std::vector<float> acc(static_cast<size_t>(dim));
    for (int64_t t = begin; t < end; ++t) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      CpuLane<Rows> lane{rows, acc.data(), out, carries.data(), carry_rows.data(), t};
      merge_chunk_walk(a, t, lane);
    }
  });
  // out[i] = (carry_t0 + … + carry_tk−1) + tail: each run of chunks open on one row, in chunk order.
  pool.parallel_for(chunks, kChunkGrain * 8, [&](int64_t begin, int64_t end) {
    std::vector<float> sum(static_cast<size_t>(dim));
    for (int64_t t = begin; t < end; ++t) {
      if (!carry_run_starts(carry_rows.data(), t, a.num_rows)) continue;
      const int64_t row = carry_rows[t];
      const float* first = carries.data() + t * dim;
      std::copy(first, first + dim, sum.begin());
      for (int64_t u = t + 1; u < chunks && carry_rows[u] == row; ++u) {
        const float* next = carries.data() + u * dim;
        for (int64_t j = 0; j < dim; ++j) sum[j] += next[j];
      }
      float* target = out + row * dim;
      for (int64_t j = 0; j < dim; ++j) target[j] = sum[j] + target[j];
    }
  });
}

void propagate_cpu(const CsrView& a, const float* x, int64_t dim, float* out) {
  propagate_chunks(a, DenseRows{x, dim, a.num_cols}, out);
}

void propagate_store_cpu(const CsrView& a, const StoreView& store, float* out) {
  propagate_chunks(a, StoreRows{&store, store.max_dim}, out);
}

void atomic_min(std::atomic<int64_t>& target, int64_t value) {
  int64_t seen = target.load(std::memory_order_relaxed);
  while (value < seen && !target.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void csr_check_cpu(const CsrView& a, bool full, CsrIssue* issue) {
  *issue = CsrIssue{};
  if (a.row_ptr[0] != 0) {
    *issue = CsrIssue{kRowPtrStart, 0, a.row_ptr[0], 0, 0.0f};
    return;
  }
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  ThreadPool& pool = ThreadPool::instance();
  if (full) {
    std::atomic<int64_t> decreasing{kNone};
    pool.parallel_for(a.num_rows + 1, kCheckGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = std::max<int64_t>(begin, 1); i < end; ++i) {
        if (a.row_ptr[i] < a.row_ptr[i - 1]) {
          atomic_min(decreasing, i);
          return;
        }
      }
    });
    const int64_t i = decreasing.load();
    if (i != kNone) {
      *issue = CsrIssue{kRowPtrDecreasing, i, a.row_ptr[i], a.row_ptr[i - 1], 0.0f};
      return;
    }
  }
  if (a.row_ptr[a.num_rows] != a.nnz) {
    *issue = CsrIssue{kRowPtrEnd, a.num_rows, a.row_ptr[a.num_rows], 0, 0.0f};
    return;
  }
  if (!full) return;
  std::atomic<int64_t> column{kNone};
  std::atomic<int64_t> value{kNone};
  pool.parallel_for(a.nnz, kCheckGrain, [&](int64_t begin, int64_t end) {
    bool column_found = false;
    bool value_found = false;
    for (int64_t p = begin; p < end && !(column_found && value_found); ++p) {
      if (!column_found && (a.col_idx[p] < 0 || a.col_idx[p] >= a.num_cols)) {
        atomic_min(column, p);
        column_found = true;
      }
      if (!value_found && !std::isfinite(a.values[p])) {
        atomic_min(value, p);
        value_found = true;
      }
    }
  });
  if (const int64_t p = column.load(); p != kNone) {
    *issue = CsrIssue{kColumnOutOfRange, p, a.col_idx[p], 0, 0.0f};
  } else if (const int64_t q = value.load(); q != kNone) {
    *issue = CsrIssue{kValueNotFinite, q, 0, 0, a.values[q]};
  }
}

const KernelRegistration check =
    KernelRegistration::of<CsrCheckKernel>(kCsrCheck, Backend::kCpu, &csr_check_cpu);
const KernelRegistration dense =
    KernelRegistration::of<PropagateKernel>(kPropagate, Backend::kCpu, &propagate_cpu);
const KernelRegistration from_store =
    KernelRegistration::of<PropagateStoreKernel>(kPropagateStore, Backend::kCpu, &propagate_store_cpu);

}  // namespace

}  // namespace mixdim
