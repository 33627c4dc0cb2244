// The embedding store's backend on one CUDA device: the device memory of the size classes, a device
// mirror of the host's location table, and the kernels of store_kernels.cuh.
//
// Everything runs on the legacy default stream, and every method waits for its work before it
// returns, so a call is synchronous from JavaScript's point of view and a kernel fault surfaces as
// an exception from the call that caused it. Scratch memory (sort buffers, staging for host arrays)
// is kept and grown across calls, so a training step allocates nothing once batch sizes settle.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_check.cuh"
#include "device_row_segments.cuh"
#include "device_runtime.h"
#include "launch_geometry.cuh"
#include "scratch_buffer.cuh"
#include "store_kernels.cuh"

namespace mixdim {
namespace cuda {

namespace {

// The location mirror grows by at least 1/8, as the size classes do (native/embedding_store.cc).
constexpr int64_t kLocationSlackDivisor = 8;

class CudaStoreBackend final : public StoreBackend {
 public:
  explicit CudaStoreBackend(int device) : device_(device) {
    use_device();
    check(cudaDeviceGetAttribute(&shape_.sm_count, cudaDevAttrMultiProcessorCount, device_),
          "cudaDeviceGetAttribute (multiprocessor count)");
    check(cudaDeviceGetAttribute(&shape_.threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device_),
          "cudaDeviceGetAttribute (threads per multiprocessor)");
  }

  ~CudaStoreBackend() override {
    // The scratch buffers free themselves after this body, on the device set here.
    cudaSetDevice(device_);
    if (locations_ != nullptr) cudaFree(locations_);
    cudaGetLastError();
  }

  float* allocate_zeroed(int64_t floats) override {
    if (floats <= 0) return nullptr;
    use_device();
    void* data = nullptr;
    const size_t bytes = static_cast<size_t>(floats) * sizeof(float);
    check(cudaMalloc(&data, bytes), "cudaMalloc (store)");
    const cudaError_t status = cudaMemset(data, 0, bytes);
    if (status != cudaSuccess) {
      cudaFree(data);
      check(status, "cudaMemset (store)");
    }
    finish("allocate_zeroed");
    return static_cast<float*>(data);
  }

  // Never throws: EmbeddingStore's destructor calls it (see release in device_runtime.cu).
  void release(float* data) override {
    if (data == nullptr) return;
    if (cudaSetDevice(device_) == cudaSuccess) cudaFree(data);
    cudaGetLastError();
  }

  void copy(float* dst, const float* src, int64_t floats) override {
    if (floats <= 0) return;
    use_device();
    check(cudaMemcpy(dst, src, static_cast<size_t>(floats) * sizeof(float), cudaMemcpyDeviceToDevice),
          "cudaMemcpy (store rows)");
    finish("copy");
  }

  // Rows past the old mirror are uploaded whole; changed rows below it are gathered on the host into
  // (id, location) pairs and scattered by one kernel, or, when that would move more bytes, the
  // whole table is uploaded instead.
  const int32_t* sync_locations(const int32_t* host_locations, int64_t num_rows, const int32_t* host_changed_ids,
                                int64_t changed_count) override {
    use_device();
    if (num_rows > location_capacity_) grow_locations(num_rows);
    const int64_t kept = mirrored_rows_ < num_rows ? mirrored_rows_ : num_rows;
    if (num_rows > kept) {
      check(cudaMemcpy(locations_ + kept, host_locations + kept, static_cast<size_t>(num_rows - kept) * 4,
                       cudaMemcpyHostToDevice),
            "cudaMemcpy (new locations)");
    }
    location_entries_.clear();
    for (int64_t i = 0; i < changed_count; ++i) {
      const int32_t id = host_changed_ids[i];
      if (id < kept) {
        location_entries_.push_back(id);
        location_entries_.push_back(host_locations[id]);
      }
    }
    const int64_t entries = static_cast<int64_t>(location_entries_.size()) / 2;
    if (entries > 0 && entries * 2 >= kept) {
      check(cudaMemcpy(locations_, host_locations, static_cast<size_t>(kept) * 4, cudaMemcpyHostToDevice),
            "cudaMemcpy (locations)");
    } else if (entries > 0) {
      int32_t* staged = location_staging_.reserve<int32_t>(entries * 2);
      check(cudaMemcpy(staged, location_entries_.data(), static_cast<size_t>(entries) * 8, cudaMemcpyHostToDevice),
            "cudaMemcpy (changed locations)");
      launch_scatter_locations(locations_, staged, entries, shape_);
    }
    mirrored_rows_ = num_rows;
    finish("sync_locations");
    return locations_;
  }

  // The mirror at exactly num_rows entries, uploaded whole from the host's table.
  const int32_t* trim_locations(const int32_t* host_locations, int64_t num_rows) override {
    if (location_capacity_ == num_rows) return locations_;
    use_device();
    int32_t* trimmed = nullptr;
    if (num_rows > 0) {
      check(cudaMalloc(&trimmed, static_cast<size_t>(num_rows) * 4), "cudaMalloc (location mirror)");
      const cudaError_t status = cudaMemcpy(trimmed, host_locations, static_cast<size_t>(num_rows) * 4,
                                            cudaMemcpyHostToDevice);
      if (status != cudaSuccess) {
        cudaFree(trimmed);
        check(status, "cudaMemcpy (location mirror)");
      }
    }
    if (locations_ != nullptr) cudaFree(locations_);
    locations_ = trimmed;
    location_capacity_ = num_rows;
    mirrored_rows_ = num_rows;
    return locations_;
  }

  int64_t location_mirror_bytes() const override { return location_capacity_ * 4; }

  int64_t find_invalid_id(const int32_t* ids, int64_t n, int64_t num_rows, int32_t* value) override {
    if (n <= 0) return -1;
    use_device();
    unsigned long long* first = flag_.reserve<unsigned long long>(1);
    check(cudaMemset(first, 0xFF, sizeof(unsigned long long)), "cudaMemset (first invalid id)");
    launch_find_invalid_id(ids, n, num_rows, first, shape_);
    unsigned long long host_first = 0;
    check(cudaMemcpy(&host_first, first, sizeof(host_first), cudaMemcpyDeviceToHost),
          "cudaMemcpy (first invalid id)");
    if (host_first >= static_cast<unsigned long long>(n)) return -1;
    check(cudaMemcpy(value, ids + host_first, sizeof(int32_t), cudaMemcpyDeviceToHost), "cudaMemcpy (invalid id)");
    return static_cast<int64_t>(host_first);
  }

  void lookup(const StoreView& store, const int32_t* ids, int64_t n, float* out) override {
    if (n <= 0) return;
    use_device();
    launch_lookup(store, ids, n, out, shape_);
    finish("lookup");
  }

  void sparse_gradient(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                       const SparseGradientAllocator& allocate) override {
    int32_t* unique_ids = nullptr;
    float* values = nullptr;
    if (n <= 0) {
      allocate(0, &unique_ids, &values);
      return;
    }
    use_device();
    expect_sortable(n, "sparse_gradient");
    const DeviceSegments segments = segments_.build(ids, n, store.num_rows, shape_);
    const int64_t count = segment_count_on_host(segments);
    allocate(count, &unique_ids, &values);
    use_device();  // the allocator may have run other CUDA work
    launch_segment_gradient(store, segments, count, grad_out, unique_ids, values, shape_);
    finish("sparse_gradient");
  }

  void fused_step(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out,
                  const SparseOptimizerStep& step) override {
    if (n <= 0) return;
    use_device();
    expect_sortable(n, "step");
    const DeviceSegments segments = segments_.build(ids, n, store.num_rows, shape_);
    launch_fused_step(store, segments, grad_out, step, shape_);
    finish("fused_step");
  }

  bool gradients_finite(const StoreView& store, const int32_t* ids, int64_t n, const float* grad_out) override {
    if (n <= 0) return true;
    use_device();
    int32_t* nonfinite = flag_.reserve<int32_t>(1);
    check(cudaMemset(nonfinite, 0, sizeof(int32_t)), "cudaMemset (finite flag)");
    launch_find_nonfinite(store, ids, n, grad_out, nonfinite, shape_);
    int32_t host_nonfinite = 0;
    check(cudaMemcpy(&host_nonfinite, nonfinite, sizeof(host_nonfinite), cudaMemcpyDeviceToHost),
          "cudaMemcpy (finite flag)");
    return host_nonfinite == 0;
  }

  void move_rows(const StoreView& store, const RowMove* host_moves, int64_t n, const float* init) override {
    if (n <= 0) return;
    use_device();
    RowMove* moves = host_array_.reserve<RowMove>(n);
    check(cudaMemcpy(moves, host_moves, static_cast<size_t>(n) * sizeof(RowMove), cudaMemcpyHostToDevice),
          "cudaMemcpy (row moves)");
    launch_move_rows(store, moves, n, init, shape_);
    finish("move_rows");
  }

  void init_rows(const StoreView& store, const RowInit* host_inits, int64_t n, uint64_t seed, float std) override {
    if (n <= 0) return;
    use_device();
    RowInit* inits = host_array_.reserve<RowInit>(n);
    check(cudaMemcpy(inits, host_inits, static_cast<size_t>(n) * sizeof(RowInit), cudaMemcpyHostToDevice),
          "cudaMemcpy (row inits)");
    launch_init_rows(store, inits, n, seed, std, shape_);
    finish("init_rows");
  }

  void read_rows(const StoreView& store, const int32_t* host_locations, int64_t n, float* host_out) override {
    if (n <= 0) return;
    use_device();
    const int32_t* locations = upload_locations(host_locations, n);
    const size_t bytes = static_cast<size_t>(n) * store.max_dim * sizeof(float);
    float* rows = row_staging_.reserve<float>(n * store.max_dim);
    launch_gather_rows(store, locations, n, rows, shape_);
    check(cudaMemcpy(host_out, rows, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy (rows to host)");
  }

  void write_rows(const StoreView& store, const int32_t* host_locations, int64_t n,
                  const float* host_values) override {
    if (n <= 0) return;
    use_device();
    const int32_t* locations = upload_locations(host_locations, n);
    const size_t bytes = static_cast<size_t>(n) * store.max_dim * sizeof(float);
    float* rows = row_staging_.reserve<float>(n * store.max_dim);
    check(cudaMemcpy(rows, host_values, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (rows to device)");
    launch_scatter_rows(store, locations, n, rows, shape_);
    finish("write_rows");
  }

 private:
  void use_device() const { check(cudaSetDevice(device_), "cudaSetDevice"); }

  // Waits for the default stream, so that a kernel's fault is reported by the call that launched it.
  void finish(const char* operation) const { check(cudaStreamSynchronize(0), operation); }

  // Positions are sorted as int32 values, so a batch holds at most 2^31 - 1 ids.
  static void expect_sortable(int64_t n, const char* operation) {
    if (n > INT32_MAX) {
      throw std::range_error(std::string(operation) + ": a batch of " + std::to_string(n) +
                             " ids is more than the 2^31 - 1 the CUDA backward pass sorts");
    }
  }

  void grow_locations(int64_t num_rows) {
    int64_t capacity = location_capacity_ + location_capacity_ / kLocationSlackDivisor;
    if (capacity < num_rows) capacity = num_rows;
    int32_t* grown = nullptr;
    check(cudaMalloc(&grown, static_cast<size_t>(capacity) * 4), "cudaMalloc (location mirror)");
    const int64_t kept = mirrored_rows_ < num_rows ? mirrored_rows_ : num_rows;
    if (kept > 0) {
      const cudaError_t status = cudaMemcpy(grown, locations_, static_cast<size_t>(kept) * 4, cudaMemcpyDeviceToDevice);
      if (status != cudaSuccess) {
        cudaFree(grown);
        check(status, "cudaMemcpy (location mirror)");
      }
    }
    if (locations_ != nullptr) cudaFree(locations_);  // waits for the copy above
    locations_ = grown;
    location_capacity_ = capacity;
  }

  const int32_t* upload_locations(const int32_t* host_locations, int64_t n) {
    int32_t* locations = host_array_.reserve<int32_t>(n);
    check(cudaMemcpy(locations, host_locations, static_cast<size_t>(n) * 4, cudaMemcpyHostToDevice),
          "cudaMemcpy (row locations)");
    return locations;
  }

  const int device_;
  LaunchShape shape_{};

  int32_t* locations_ = nullptr;  // the mirror: location_capacity_ entries, the first mirrored_rows_ current
  int64_t location_capacity_ = 0;
  int64_t mirrored_rows_ = 0;
  std::vector<int32_t> location_entries_;  // host staging of changed (id, location) pairs
  ScratchBuffer location_staging_;

  ScratchBuffer flag_;         // find_invalid_id's first position, gradients_finite's flag
  ScratchBuffer host_array_;   // a host array copied over for one call: moves, inits, locations
  ScratchBuffer row_staging_;  // rows on their way to or from the host
  DeviceRowSegments segments_;
};

}  // namespace

std::unique_ptr<StoreBackend> make_store_backend(int device) { return std::make_unique<CudaStoreBackend>(device); }

}  // namespace cuda
}  // namespace mixdim
