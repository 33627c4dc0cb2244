#include "embedding_store.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace mixdim {

namespace {
// A class grows by at least 1/8 of its size, and is compacted once 1/8 of it is free slots:
// both bound the slack over Σ d_i·4 to about 12.5%, with amortised O(1) copies per row.
constexpr int64_t kSlackDivisor = 8;
constexpr int64_t kMinCompactFreeSlots = 64;
}  // namespace

EmbeddingStore::EmbeddingStore(const StoreOptions& options, std::unique_ptr<StoreBackend> backend)
    : options_(options), backend_(std::move(backend)), classes_(options.candidates.size()) {
  for (size_t c = 0; c < classes_.size(); ++c) classes_[c].dim = options_.candidates[c];
  kernel_locations_ = backend_->sync_locations(locations_.data(), 0, nullptr, 0);
}

EmbeddingStore::~EmbeddingStore() {
  for (SizeClass& c : classes_) {
    if (c.weights != nullptr) backend_->release(c.weights);
    release_optimizer_state(c);
  }
}

int32_t EmbeddingStore::class_of_size(int64_t size) const {
  for (size_t c = 0; c < classes_.size(); ++c) {
    if (classes_[c].dim == size) return static_cast<int32_t>(c);
  }
  return -1;
}

StoreView EmbeddingStore::view() const {
  StoreView view{};
  for (size_t c = 0; c < classes_.size(); ++c) {
    const SizeClass& sc = classes_[c];
    view.classes[c] = SizeClassView{sc.weights, sc.moment1, sc.moment2, sc.row_state, sc.dim};
  }
  view.locations = kernel_locations_;
  view.num_classes = static_cast<int32_t>(classes_.size());
  view.max_dim = max_dim();
  view.num_rows = num_rows();
  return view;
}

void EmbeddingStore::set_capacity(int32_t c, int64_t capacity) {
  SizeClass& sc = classes_[c];
  if (capacity > kMaxSlotsPerClass) {
    throw std::range_error("size class " + std::to_string(sc.dim) + " would hold " + std::to_string(capacity) +
                           " rows, more than the limit of " + std::to_string(kMaxSlotsPerClass));
  }
  const bool adam = options_.optimizer_kind == kLazyAdam;
  const bool adagrad = options_.optimizer_kind == kRowwiseAdagrad;
  const int64_t kept_rows = std::min(sc.high_water, capacity);
  auto regrow = [&](float* old, int64_t width) -> float* {
    float* fresh = capacity > 0 ? backend_->allocate_zeroed(capacity * width) : nullptr;
    if (old != nullptr) {
      if (kept_rows > 0) backend_->copy(fresh, old, kept_rows * width);
      backend_->release(old);
    }
    return fresh;
  };
  sc.weights = regrow(sc.weights, sc.dim);
  if (adam) {
    sc.moment1 = regrow(sc.moment1, sc.dim);
    sc.moment2 = regrow(sc.moment2, sc.dim);
  }
  if (adagrad) sc.row_state = regrow(sc.row_state, 1);
  sc.capacity = capacity;
  sc.slot_owner.resize(static_cast<size_t>(capacity), -1);
  sc.slot_owner.shrink_to_fit();
}

void EmbeddingStore::release_optimizer_state(SizeClass& sc) {
  for (float** buffer : {&sc.moment1, &sc.moment2, &sc.row_state}) {
    if (*buffer != nullptr) backend_->release(*buffer);
    *buffer = nullptr;
  }
}

void EmbeddingStore::set_optimizer(const StoreOptions& optimizer) {
  const bool new_kind = optimizer.optimizer_kind != options_.optimizer_kind;
  options_.optimizer_kind = optimizer.optimizer_kind;
  options_.learning_rate = optimizer.learning_rate;
  options_.beta1 = optimizer.beta1;
  options_.beta2 = optimizer.beta2;
  options_.eps = optimizer.eps;
  options_.weight_decay = optimizer.weight_decay;
  if (!new_kind) return;
  step_count_ = 0;
  for (SizeClass& sc : classes_) {
    release_optimizer_state(sc);
    if (sc.capacity == 0) continue;
    if (options_.optimizer_kind == kLazyAdam) {
      sc.moment1 = backend_->allocate_zeroed(sc.capacity * sc.dim);
      sc.moment2 = backend_->allocate_zeroed(sc.capacity * sc.dim);
    } else if (options_.optimizer_kind == kRowwiseAdagrad) {
      sc.row_state = backend_->allocate_zeroed(sc.capacity);
    }
  }
}

void EmbeddingStore::reserve(int32_t c, int64_t extra_slots) {
  SizeClass& sc = classes_[c];
  const int64_t reusable = static_cast<int64_t>(sc.free_slots.size());
  const int64_t needed = sc.high_water + std::max<int64_t>(extra_slots - reusable, 0);
  if (needed <= sc.capacity) return;
  set_capacity(c, std::max(needed, sc.capacity + sc.capacity / kSlackDivisor));
}

int32_t EmbeddingStore::allocate_slot(int32_t c, int32_t id) {
  SizeClass& sc = classes_[c];
  int32_t slot;
  if (!sc.free_slots.empty()) {
    slot = sc.free_slots.back();
    sc.free_slots.pop_back();
  } else {
    slot = static_cast<int32_t>(sc.high_water++);
  }
  sc.slot_owner[slot] = id;
  return pack_location(slot, c);
}

void EmbeddingStore::free_slot(int32_t location) {
  SizeClass& sc = classes_[location_class(location)];
  const int32_t slot = location_slot(location);
  sc.slot_owner[slot] = -1;
  sc.free_slots.push_back(slot);
}

void EmbeddingStore::sync_locations(const int32_t* changed_ids, int64_t count) {
  kernel_locations_ = backend_->sync_locations(locations_.data(), num_rows(), changed_ids, count);
}

int64_t EmbeddingStore::add_rows(const int32_t* sizes, int64_t n) {
  const int64_t first = num_rows();
  if (first + n > INT32_MAX) {
    throw std::range_error("the store would hold " + std::to_string(first + n) + " rows, more than 2^31 - 1");
  }
  std::vector<int64_t> per_class(classes_.size(), 0);
  for (int64_t i = 0; i < n; ++i) per_class[class_of_size(sizes[i])]++;
  for (size_t c = 0; c < classes_.size(); ++c) reserve(static_cast<int32_t>(c), per_class[c]);

  locations_.resize(static_cast<size_t>(first + n));
  std::vector<RowInit> inits(static_cast<size_t>(n));
  std::vector<int32_t> new_ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t id = static_cast<int32_t>(first + i);
    locations_[id] = allocate_slot(class_of_size(sizes[i]), id);
    inits[i] = RowInit{id, locations_[id]};
    new_ids[i] = id;
  }
  sync_locations(new_ids.data(), n);
  backend_->init_rows(view(), inits.data(), n, options_.seed, options_.init_std);
  return first;
}

void EmbeddingStore::resize_rows(const int32_t* ids, const int32_t* sizes, int64_t n, const float* init) {
  std::vector<int64_t> per_class(classes_.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t target = class_of_size(sizes[i]);
    if (target != location_class(locations_[ids[i]])) per_class[target]++;
  }
  for (size_t c = 0; c < classes_.size(); ++c) reserve(static_cast<int32_t>(c), per_class[c]);

  // New slots are taken while the old ones are still held, so no move reads a slot another writes.
  std::vector<RowMove> moves;
  std::vector<int32_t> freed;
  std::vector<int32_t> changed;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t id = ids[i];
    const int32_t old_location = locations_[id];
    const int32_t target = class_of_size(sizes[i]);
    const int32_t init_row = init != nullptr ? static_cast<int32_t>(i) : -1;
    if (target == location_class(old_location)) {
      if (init_row >= 0) moves.push_back(RowMove{old_location, old_location, init_row});
      continue;
    }
    const int32_t new_location = allocate_slot(target, id);
    moves.push_back(RowMove{old_location, new_location, init_row});
    freed.push_back(old_location);
    locations_[id] = new_location;
    changed.push_back(id);
  }
  backend_->move_rows(view(), moves.data(), static_cast<int64_t>(moves.size()), init);
  std::vector<int32_t> touched;
  for (int32_t location : freed) {
    free_slot(location);
    touched.push_back(location_class(location));
  }
  sync_locations(changed.data(), static_cast<int64_t>(changed.size()));
  maybe_compact(touched);
}

void EmbeddingStore::compact_class(int32_t c, std::vector<RowMove>* moves, std::vector<int32_t>* changed) {
  SizeClass& sc = classes_[c];
  const int64_t live = live_rows(sc);
  std::vector<int32_t> holes;
  for (int32_t slot : sc.free_slots) {
    if (slot < live) holes.push_back(slot);
  }
  size_t next_hole = 0;
  for (int64_t slot = live; slot < sc.high_water; ++slot) {
    const int32_t id = sc.slot_owner[slot];
    if (id < 0) continue;
    const int32_t hole = holes[next_hole++];
    const int32_t to = pack_location(hole, c);
    moves->push_back(RowMove{locations_[id], to, -1});
    sc.slot_owner[hole] = id;
    sc.slot_owner[slot] = -1;
    locations_[id] = to;
    changed->push_back(id);
  }
  sc.free_slots.clear();
  sc.free_slots.shrink_to_fit();
  sc.high_water = live;
}

void EmbeddingStore::maybe_compact(const std::vector<int32_t>& touched_classes) {
  std::vector<RowMove> moves;
  std::vector<int32_t> changed;
  std::vector<int32_t> compacted;
  for (int32_t c : touched_classes) {
    const SizeClass& sc = classes_[c];
    const int64_t free_count = static_cast<int64_t>(sc.free_slots.size());
    if (free_count < kMinCompactFreeSlots || free_count * kSlackDivisor < sc.capacity) continue;
    if (std::find(compacted.begin(), compacted.end(), c) != compacted.end()) continue;
    compact_class(c, &moves, &changed);
    compacted.push_back(c);
  }
  if (compacted.empty()) return;
  backend_->move_rows(view(), moves.data(), static_cast<int64_t>(moves.size()), nullptr);
  for (int32_t c : compacted) set_capacity(c, classes_[c].high_water);
  sync_locations(changed.data(), static_cast<int64_t>(changed.size()));
}

void EmbeddingStore::compact() {
  std::vector<RowMove> moves;
  std::vector<int32_t> changed;
  for (size_t c = 0; c < classes_.size(); ++c) compact_class(static_cast<int32_t>(c), &moves, &changed);
  backend_->move_rows(view(), moves.data(), static_cast<int64_t>(moves.size()), nullptr);
  for (size_t c = 0; c < classes_.size(); ++c) {
    set_capacity(static_cast<int32_t>(c), classes_[c].high_water);
  }
  // Trimmed before the sync: shrink_to_fit reallocates, and the CPU backend's kernels read the
  // table in place, so the pointer they get must be the table's final one. A backend's own copy
  // of the table (CUDA's) is trimmed too.
  locations_.shrink_to_fit();
  sync_locations(changed.data(), static_cast<int64_t>(changed.size()));
  kernel_locations_ = backend_->trim_locations(locations_.data(), num_rows());
}

StoreView EmbeddingStore::field_view(RowField field) const {
  static const char* const names[] = {"weights", "moment1", "moment2", "rowState"};
  StoreView v = view();
  if (field == kWeightsField) return v;
  for (int32_t c = 0; c < v.num_classes; ++c) {
    SizeClassView& sc = v.classes[c];
    float* data = field == kMoment1Field ? sc.moment1 : field == kMoment2Field ? sc.moment2 : sc.row_state;
    if (data == nullptr && classes_[c].capacity > 0) {
      throw std::range_error(std::string("the store's optimizer keeps no ") + names[field]);
    }
    sc.weights = data;
    if (field == kRowStateField) sc.dim = 1;
  }
  return v;
}

void EmbeddingStore::read_rows(const int32_t* ids, int64_t n, float* host_out, RowField field) const {
  const StoreView v = field_view(field);
  std::vector<int32_t> locations(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) locations[i] = locations_[ids[i]];
  backend_->read_rows(v, locations.data(), n, host_out);
}

void EmbeddingStore::write_rows(const int32_t* ids, int64_t n, const float* host_values, RowField field) {
  const StoreView v = field_view(field);
  std::vector<int32_t> locations(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) locations[i] = locations_[ids[i]];
  backend_->write_rows(v, locations.data(), n, host_values);
}

void EmbeddingStore::fused_step(const int32_t* ids, int64_t n, const float* grad_out) {
  // t is counted only once the step has been taken: a step that throws (a failed device
  // allocation, say) must not advance Adam's bias correction for the next one.
  const int64_t t_next = step_count_ + 1;
  SparseOptimizerStep step{};
  step.kind = options_.optimizer_kind;
  step.learning_rate = options_.learning_rate;
  step.beta1 = options_.beta1;
  step.beta2 = options_.beta2;
  step.eps = options_.eps;
  step.weight_decay = options_.weight_decay;
  const double t = static_cast<double>(t_next);
  step.bias_correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta1), t));
  step.bias_correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta2), t));
  backend_->fused_step(view(), ids, n, grad_out, step);
  step_count_ = t_next;
}

StoreBytes EmbeddingStore::bytes() const {
  const int64_t moments = options_.optimizer_kind == kLazyAdam ? 2 : 0;
  const bool adagrad = options_.optimizer_kind == kRowwiseAdagrad;
  StoreBytes b{};
  b.index = static_cast<int64_t>(locations_.capacity()) * 4 + backend_->location_mirror_bytes();
  for (const SizeClass& sc : classes_) {
    b.rows += live_rows(sc) * sc.dim * 4;
    b.weights += sc.capacity * sc.dim * 4;
    b.optimizer_state += sc.capacity * sc.dim * 4 * moments + (adagrad ? sc.capacity * 4 : 0);
    b.index += static_cast<int64_t>(sc.slot_owner.capacity() + sc.free_slots.capacity()) * 4;
  }
  return b;
}

}  // namespace mixdim
