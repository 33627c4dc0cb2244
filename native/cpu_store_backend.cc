// The embedding store's kernels on the CPU: the thread pool over batch rows or unique rows,
// with the per-element arithmetic from native/kernels/ (shared with cuda/cuda_store_backend.cu).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/lookup.h"
#include "kernels/philox.h"
#include "row_segments.h"
#include "store_backend.h"
#include "thread_pool.h"

namespace mixdim {

namespace {

// Rows per chunk: enough work to amortise claiming a chunk, small enough to balance hot rows.
constexpr int64_t kRowGrain = 256;
// How far ahead the lookup prefetches: ids are random, so each row is a likely cache miss.
constexpr int64_t kPrefetchDistance = 16;

struct RowRef {
  float* weights;
  float* moment1;
  float* moment2;
  float* row_state;
  int32_t dim;
};

RowRef row_at(const StoreView& store, int32_t location) {
  const SizeClassView& c = store.classes[location_class(location)];
  const int64_t slot = location_slot(location);
  return RowRef{c.weights + slot * c.dim, c.moment1 ? c.moment1 + slot * c.dim : nullptr,
                c.moment2 ? c.moment2 + slot * c.dim : nullptr, c.row_state ? c.row_state + slot : nullptr,
                c.dim};
}

// How many sorted positions ahead the gradient sums prefetch: positions jump around the batch.
constexpr int64_t kGradientPrefetchDistance = 8;
constexpr int64_t kFloatsPerCacheLine = 16;

// Σ over the segment's positions in batch order, for the row's first `dim` elements.
void sum_segment(const RowSegments& segments, int64_t s, const float* grad_out, int64_t max_dim, int32_t dim,
                 float* acc) {
  std::fill(acc, acc + dim, 0.0f);
  const int64_t total = static_cast<int64_t>(segments.positions.size());
  for (int64_t k = segments.offsets[s]; k < segments.offsets[s + 1]; ++k) {
    // The walk over sorted positions runs on into the next segments, which this thread sums next.
    if (k + kGradientPrefetchDistance < total) {
      const float* ahead = grad_out + static_cast<int64_t>(segments.positions[k + kGradientPrefetchDistance]) * max_dim;
      for (int64_t j = 0; j < dim; j += kFloatsPerCacheLine) __builtin_prefetch(ahead + j);
    }
    const float* g = grad_out + static_cast<int64_t>(segments.positions[k]) * max_dim;
    for (int32_t j = 0; j < dim; ++j) acc[j] += g[j];
  }
}

void apply_update(const RowRef& row, const float* g, const SparseOptimizerStep& step) {
  switch (step.kind) {
    case kSparseSgd:
      for (int32_t j = 0; j < row.dim; ++j) sgd_update(&row.weights[j], g[j], step);
      break;
    case kLazyAdam:
      for (int32_t j = 0; j < row.dim; ++j) {
        lazy_adam_update(&row.weights[j], &row.moment1[j], &row.moment2[j], g[j], step);
      }
      break;
    case kRowwiseAdagrad: {
      float square_sum = 0.0f;
      for (int32_t j = 0; j < row.dim; ++j) square_sum += rowwise_adagrad_square(g[j], row.weights[j], step);
      *row.row_state += square_sum / static_cast<float>(row.dim);
      for (int32_t j = 0; j < row.dim; ++j) rowwise_adagrad_update(&row.weights[j], g[j], *row.row_state, step);
      break;
    }
  }
}

class CpuStoreBackend final : public StoreBackend {
 public:
  float* allocate_zeroed(int64_t floats) override {
    void* data = std::calloc(static_cast<size_t>(floats), sizeof(float));
    if (data == nullptr) throw std::bad_alloc();
    return static_cast<float*>(data);
  }
  void release(float* data) override { std::free(data); }
  void copy(float* dst, const float* src, int64_t floats) override {
    std::memcpy(dst, src, static_cast<size_t>(floats) * sizeof(float));
  }

  const int32_t* sync_locations(const int32_t* host_locations, int64_t, const int32_t*, int64_t) override {
    return host_locations;
  }
  const int32_t* trim_locations(const int32_t* host_locations, int64_t) override { return host_locations; }
  int64_t location_mirror_bytes() const override { return 0; }

  int64_t find_invalid_id(const int32_t* ids, int64_t n, int64_t num_rows, int32_t* value) override {
    for (int64_t b = 0; b < n; ++b) {
      if (ids[b] < 0 || ids[b] >= num_rows) {
        *value = ids[b];
        return b;
      }
    }
    return -1;
  }

  void lookup(const StoreView& store, const int32_t* ids, int64_t n, float* out) override {
    const int64_t max_dim = store.max_dim;
    ThreadPool::instance().parallel_for(n, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        // Two-stage prefetch: the location table entry far ahead, then the row it names nearer.
        if (b + 2 * kPrefetchDistance < end) __builtin_prefetch(&store.locations[ids[b + 2 * kPrefetchDistance]]);
        if (b + kPrefetchDistance < end) {
          __builtin_prefetch(row_weights(store, store.locations[ids[b + kPrefetchDistance]]));
        }
        const int32_t location = store.locations[ids[b]];
        const int32_t dim = row_dim(store, location);
        float* dst = out + b * max_dim;
        // padded_row_element(row, dim, j) for every j, as one copy and one fill (both vectorised).
        std::memcpy(dst, row_weights(store, location), static_cast<size_t>(dim) * sizeof(float));
        std::memset(dst + dim, 0, static_cast<size_t>(max_dim - dim) * sizeof(float));
      }
    });
  }

  void sparse_gradient(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                       const SparseGradientAllocator& allocate) override {
    const RowSegments segments = segment_by_row(ids, n, store.num_rows);
    int32_t* unique_ids = nullptr;
    float* values = nullptr;
    allocate(segments.count(), &unique_ids, &values);
    if (segments.count() == 0) return;
    std::memcpy(unique_ids, segments.ids.data(), segments.ids.size() * sizeof(int32_t));
    const int64_t max_dim = store.max_dim;
    ThreadPool::instance().parallel_for(segments.count(), kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s) {
        const int32_t dim = row_dim(store, store.locations[segments.ids[s]]);
        float* row = values + s * max_dim;
        sum_segment(segments, s, grad_out, max_dim, dim, row);
        std::fill(row + dim, row + max_dim, 0.0f);
      }
    });
  }

  void fused_step(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                  const SparseOptimizerStep& step) override {
    const RowSegments segments = segment_by_row(ids, n, store.num_rows);
    const int64_t max_dim = store.max_dim;
    ThreadPool::instance().parallel_for(segments.count(), kRowGrain, [&](int64_t begin, int64_t end) {
      std::vector<float> acc(static_cast<size_t>(max_dim));
      for (int64_t s = begin; s < end; ++s) {
        const RowRef row = row_at(store, store.locations[segments.ids[s]]);
        sum_segment(segments, s, grad_out, max_dim, row.dim, acc.data());
        apply_update(row, acc.data(), step);
      }
    });
  }

  bool gradients_finite(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out) override {
    std::atomic<bool> finite{true};
    const int64_t max_dim = store.max_dim;
    ThreadPool::instance().parallel_for(n, kRowGrain * 4, [&](int64_t begin, int64_t end) {
      // A float is NaN or ±Inf exactly when its exponent bits are all ones; adding one unit of
      // exponent then carries into bit 31. Integer and/add/or only, so the loop vectorises.
      uint32_t carry = 0;
      for (int64_t b = begin; b < end; ++b) {
        const int32_t dim = row_dim(store, store.locations[ids[b]]);
        const float* g = grad_out + b * max_dim;
        for (int32_t j = 0; j < dim; ++j) {
          uint32_t bits;
          std::memcpy(&bits, &g[j], sizeof bits);
          carry |= (bits & 0x7F800000u) + 0x00800000u;
        }
      }
      if ((carry & 0x80000000u) != 0) finite = false;
    });
    return finite;
  }

  void move_rows(const StoreView& store, const RowMove* moves, int64_t n, const float* init) override {
    const int64_t max_dim = store.max_dim;
    ThreadPool::instance().parallel_for(n, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const RowMove& move = moves[i];
        const RowRef from = row_at(store, move.from);
        const RowRef to = row_at(store, move.to);
        if (move.init_row >= 0) {
          const float* source = init + static_cast<int64_t>(move.init_row) * max_dim;
          std::memcpy(to.weights, source, static_cast<size_t>(to.dim) * sizeof(float));
          if (to.moment1 != nullptr) std::fill(to.moment1, to.moment1 + to.dim, 0.0f);
          if (to.moment2 != nullptr) std::fill(to.moment2, to.moment2 + to.dim, 0.0f);
          if (to.row_state != nullptr) *to.row_state = 0.0f;
          continue;
        }
        for (int32_t j = 0; j < to.dim; ++j) to.weights[j] = padded_row_element(from.weights, from.dim, j);
        if (to.moment1 != nullptr) {
          for (int32_t j = 0; j < to.dim; ++j) {
            to.moment1[j] = padded_row_element(from.moment1, from.dim, j);
            to.moment2[j] = padded_row_element(from.moment2, from.dim, j);
          }
        }
        if (to.row_state != nullptr) *to.row_state = *from.row_state;
      }
    });
  }

  void init_rows(const StoreView& store, const RowInit* inits, int64_t n, uint64_t seed, float std) override {
    ThreadPool::instance().parallel_for(n, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const RowRef row = row_at(store, inits[i].location);
        const uint32_t id = static_cast<uint32_t>(inits[i].id);
        for (int32_t j = 0; j < row.dim; ++j) {
          row.weights[j] = std * philox_normal(seed, id, static_cast<uint32_t>(j));
        }
        if (row.moment1 != nullptr) std::fill(row.moment1, row.moment1 + row.dim, 0.0f);
        if (row.moment2 != nullptr) std::fill(row.moment2, row.moment2 + row.dim, 0.0f);
        if (row.row_state != nullptr) *row.row_state = 0.0f;
      }
    });
  }

  void read_rows(const StoreView& store, const int32_t* locations, int64_t n, float* out) override {
    const int64_t max_dim = store.max_dim;
    for (int64_t i = 0; i < n; ++i) {
      const RowRef row = row_at(store, locations[i]);
      for (int64_t j = 0; j < max_dim; ++j) {
        out[i * max_dim + j] = padded_row_element(row.weights, row.dim, static_cast<int>(j));
      }
    }
  }

  void write_rows(const StoreView& store, const int32_t* locations, int64_t n, const float* values) override {
    const int64_t max_dim = store.max_dim;
    for (int64_t i = 0; i < n; ++i) {
      const RowRef row = row_at(store, locations[i]);
      std::memcpy(row.weights, values + i * max_dim, static_cast<size_t>(row.dim) * sizeof(float));
    }
  }
};

}  // namespace

std::unique_ptr<StoreBackend> make_cpu_store_backend() { return std::make_unique<CpuStoreBackend>(); }

}  // namespace mixdim
