// A mixed-dimension embedding table: each id's row has its own size d_i, drawn from a set of
// candidate sizes, and is stored at that size (see kernels/store_layout.h).
//
// This class is the bookkeeping shared by every device: the location table, slot allocation
// with reuse of freed slots, growth and compaction of the size classes, the optimizer's step
// count, and exact byte accounting. The arithmetic runs in a StoreBackend.
#pragma once

#include <stdint.h>

#include <memory>
#include <vector>

#include "store_backend.h"

namespace mixdim {

struct StoreOptions {
  std::vector<int32_t> candidates;  // strictly increasing candidate sizes
  int32_t optimizer_kind = kSparseSgd;
  float learning_rate = 0.01f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  uint64_t seed = 0;
  float init_std = 0.01f;
};

// What readRows/writeRows reach: the weights, or one part of the optimizer state (for checkpoints).
enum RowField : int32_t { kWeightsField = 0, kMoment1Field = 1, kMoment2Field = 2, kRowStateField = 3 };

struct StoreBytes {
  int64_t rows;             // Σ_i d_i · 4: what the size plan costs
  int64_t weights;          // allocated weight storage, free slots included
  int64_t optimizer_state;  // Adam moments or Adagrad accumulators
  int64_t index;            // location table, slot owners and free lists (host and device)
  int64_t total() const { return weights + optimizer_state + index; }
};

class EmbeddingStore {
 public:
  EmbeddingStore(const StoreOptions& options, std::unique_ptr<StoreBackend> backend);
  ~EmbeddingStore();
  EmbeddingStore(const EmbeddingStore&) = delete;
  EmbeddingStore& operator=(const EmbeddingStore&) = delete;

  // Returns the class index of a candidate size, or -1.
  int32_t class_of_size(int64_t size) const;
  int32_t max_dim() const { return options_.candidates.back(); }
  int64_t num_rows() const { return static_cast<int64_t>(locations_.size()); }
  int32_t row_size(int64_t id) const { return class_dim(location_class(locations_[id])); }
  const StoreOptions& options() const { return options_; }
  StoreBackend& backend() { return *backend_; }
  StoreView view() const;
  // A view whose `weights` are the given field, so row kernels read and write optimizer state
  // as they do weights (row state is one float per row: dim 1). Throws when the optimizer keeps no such field.
  StoreView field_view(RowField field) const;
  // Elements per row of a field: the row's size, or 1 for the row state.
  int32_t field_size(RowField field, int64_t id) const { return field == kRowStateField ? 1 : row_size(id); }

  // All of these expect validated input: sizes that are candidates, ids in range and unique.
  int64_t add_rows(const int32_t* sizes, int64_t n);
  void resize_rows(const int32_t* ids, const int32_t* sizes, int64_t n, const float* init);
  void read_rows(const int32_t* ids, int64_t n, float* host_out, RowField field = kWeightsField) const;
  void write_rows(const int32_t* ids, int64_t n, const float* host_values, RowField field = kWeightsField);
  // Moves rows out of free slots' way and trims every class to the rows it holds.
  void compact();

  // One optimizer step over the rows a batch touched; t (for Adam's bias correction) counts these calls.
  void fused_step(const int32_t* ids, int64_t n, const float* grad_out);
  void set_learning_rate(float learning_rate) { options_.learning_rate = learning_rate; }
  // Switches the fused optimizer. A new kind starts with zeroed state and step count 0;
  // the same kind keeps its state and takes the new hyperparameters.
  void set_optimizer(const StoreOptions& optimizer);
  int64_t step_count() const { return step_count_; }
  // For resuming from a checkpoint: Adam's bias correction continues from here.
  void set_step_count(int64_t steps) { step_count_ = steps; }

  StoreBytes bytes() const;

 private:
  struct SizeClass {
    int32_t dim = 0;
    int64_t capacity = 0;
    int64_t high_water = 0;            // slots [0, high_water) have been handed out
    float* weights = nullptr;
    float* moment1 = nullptr;
    float* moment2 = nullptr;
    float* row_state = nullptr;
    std::vector<int32_t> slot_owner;   // id in each slot, -1 when free
    std::vector<int32_t> free_slots;   // freed slots below high_water, reused first
  };

  int32_t class_dim(int32_t c) const { return classes_[c].dim; }
  int64_t live_rows(const SizeClass& c) const {
    return c.high_water - static_cast<int64_t>(c.free_slots.size());
  }
  int32_t allocate_slot(int32_t c, int32_t id);
  void free_slot(int32_t location);
  void reserve(int32_t c, int64_t extra_slots);
  void set_capacity(int32_t c, int64_t capacity);
  void release_optimizer_state(SizeClass& sc);
  void compact_class(int32_t c, std::vector<RowMove>* moves, std::vector<int32_t>* changed);
  void maybe_compact(const std::vector<int32_t>& touched_classes);
  void sync_locations(const int32_t* changed_ids, int64_t count);

  StoreOptions options_;
  std::unique_ptr<StoreBackend> backend_;
  std::vector<SizeClass> classes_;
  std::vector<int32_t> locations_;
  const int32_t* kernel_locations_ = nullptr;
  int64_t step_count_ = 0;
};

}  // namespace mixdim
