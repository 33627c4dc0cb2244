// What an embedding store needs from a device: memory for its size classes and the kernels
// that run over them. native/cpu_store_backend.cc and cuda/cuda_store_backend.cu implement it;
// EmbeddingStore (native/embedding_store.cc) keeps the bookkeeping, which is the same for both.
//
// Pointers named `host_*` are in host memory. Every other pointer (ids, gradients, outputs,
// init values) lives where the backend computes: host memory for the CPU, device memory for CUDA.
// Callers have validated every id, location and length; backends trust them.
#pragma once

#include <stdint.h>

#include <functional>
#include <memory>

#include "kernels/sparse_optimizer.h"
#include "kernels/store_layout.h"

namespace mixdim {

// One row copied from location `from` to location `to` at the destination class's size:
// truncated when it shrinks, zero-extended when it grows, or taken from init[init_row]
// (padded to max_dim) when init_row >= 0. Optimizer state follows the same rule, except that
// rows taken from init start with fresh state, because their coordinates are new.
struct RowMove {
  int32_t from;
  int32_t to;
  int32_t init_row;
};

// Row `id` at `location` gets fresh N(0, std²) values drawn from Philox(seed, id, j).
struct RowInit {
  int32_t id;
  int32_t location;
};

// Receives the unique-row count of a backward pass and returns where to write
// unique_count ids and unique_count × max_dim summed gradients.
using SparseGradientAllocator = std::function<void(int64_t unique_count, int32_t** ids, float** values)>;

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  virtual float* allocate_zeroed(int64_t floats) = 0;
  virtual void release(float* data) = 0;
  virtual void copy(float* dst, const float* src, int64_t floats) = 0;

  // Makes kernels see the host's location table after rows were added, moved or resized.
  // changed_ids lists the ids whose entry changed (host memory); the table may also have grown.
  // Returns the pointer to put in StoreView::locations.
  virtual const int32_t* sync_locations(const int32_t* host_locations, int64_t num_rows,
                                        const int32_t* host_changed_ids, int64_t changed_count) = 0;
  // Gives back the room a copy of the table keeps past num_rows, for compact(); returns the
  // pointer to put in StoreView::locations, as sync_locations does.
  virtual const int32_t* trim_locations(const int32_t* host_locations, int64_t num_rows) = 0;
  // Bytes the backend holds for its copy of the location table (0 when it reads the host's).
  virtual int64_t location_mirror_bytes() const = 0;

  // Returns the first position b with ids[b] outside [0, num_rows) and stores ids[b] in *value,
  // or -1 when every id is in range. Native code calls this before any kernel reads a row.
  virtual int64_t find_invalid_id(const int32_t* ids, int64_t n, int64_t num_rows, int32_t* value) = 0;

  virtual void lookup(const StoreView& store, const int32_t* ids, int64_t n, float* out) = 0;
  virtual void sparse_gradient(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                               const SparseGradientAllocator& allocate) = 0;
  virtual void fused_step(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                          const SparseOptimizerStep& step) = 0;
  // False when grad_out (n × max_dim, only the first d(ids[b]) entries of each row count) holds NaN or ±Inf.
  virtual bool gradients_finite(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out) = 0;

  virtual void move_rows(const StoreView& store, const RowMove* host_moves, int64_t n, const float* init) = 0;
  virtual void init_rows(const StoreView& store, const RowInit* host_inits, int64_t n, uint64_t seed,
                         float std) = 0;
  // Copies rows at the given locations, padded to max_dim, to or from host memory.
  virtual void read_rows(const StoreView& store, const int32_t* host_locations, int64_t n, float* host_out) = 0;
  virtual void write_rows(const StoreView& store, const int32_t* host_locations, int64_t n,
                          const float* host_values) = 0;
};

std::unique_ptr<StoreBackend> make_cpu_store_backend();

}  // namespace mixdim
