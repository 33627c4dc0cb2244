// Sparse propagation on CUDA: the merge-path chunks of native/kernels/sparse_propagation.h, one
// chunk per group of `width` lanes (launch_geometry.cuh), each lane owning W consecutive columns
// (float4 when D % 4 == 0 and the buffers are aligned), grid-stride over chunks; then a fix-up
// launch adding the carries of rows that span chunks. Every output element is written by exactly
// one lane per launch, summed in the order the header fixes, so there are no atomics on floats
// and the result does not depend on the grid; add_product keeps it bit-equal to the CPU kernel.
//
// Bandwidth-bound: 4·(N+1) + 8·nnz bytes of CSR, 4·nnz·D of row reads (L2-resident when X is
// smaller than L2), 4·N·D written, plus 8·D bytes per chunk of carries. Chunks of kMergeChunk
// items keep a power-law hub from serialising the launch on one group.
// Measured: not yet (no GPU where this was written); target ≥ 0.6 × device copy bandwidth.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "../native/kernel_registry.h"
#include "../native/kernels/sparse_propagation.h"
#include "../native/ops/sparse_propagation.h"
#include "cuda_check.cuh"
#include "launch_geometry.cuh"
#include "row_access.cuh"
#include "per_device.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

namespace {

// X as dense rows: lane columns [j, j + W) of row col, W-aligned (W divides dim, x is aligned).
struct DenseRows {
  const float* x;
  int64_t dim;
  template <int W>
  __device__ __forceinline__ void load(int32_t col, int64_t j, float (&v)[W]) const {
    load_vector<W, true>(x + static_cast<int64_t>(col) * dim + j, v);
  }
};

// X as the store's rows: columns [j, j + W) of row col, zero from its size d_col on.
struct StoreRows {
  StoreView store;
  int64_t dim;  // store.max_dim
  template <int W>
  __device__ __forceinline__ void load(int32_t col, int64_t j, float (&v)[W]) const {
    const StoreRow row = store_row(store, col);
    load_padded<W, true>(row.weights, row.dim, static_cast<int>(j), row_takes_vectors<W>(row.weights, row.dim), v);
  }
};

// One lane of a chunk's group: W columns starting at j, for every row the chunk touches.
template <int W, typename Rows>
struct DeviceLane {
  const Rows& rows;
  float* out;
  float* carries;
  int64_t* carry_rows;
  int64_t chunk;
  int64_t j;
  bool leader;  // writes the chunk's carry row
  float acc[W];

  __device__ __forceinline__ void add(float value, int32_t col) {
    float v[W];
    rows.template load<W>(col, j, v);
#pragma unroll
    for (int e = 0; e < W; ++e) acc[e] = add_product(acc[e], value, v[e]);
  }
  // The device hides latency with resident warps, not prefetches.
  __device__ __forceinline__ void prefetch(int32_t) const {}
  __device__ __forceinline__ void finish(int64_t row) {
    store_vector<W>(out + row * rows.dim + j, acc);
#pragma unroll
    for (int e = 0; e < W; ++e) acc[e] = 0.0f;
  }
  __device__ __forceinline__ void carry(int64_t row) {
    if (leader) carry_rows[chunk] = row;
    store_vector<W>(carries + chunk * rows.dim + j, acc);
  }
};

// out rows ending in each chunk, and each chunk's carry: one group of `width` lanes per chunk.
template <int W, typename Rows>
__global__ void __launch_bounds__(kBlockThreads)
    propagate_chunks_kernel(const __grid_constant__ CsrView a, const __grid_constant__ Rows rows, float* __restrict__ out,
                            float* __restrict__ carries, int64_t* __restrict__ carry_rows, int64_t chunks, int width) {
  const GroupLayout group = group_layout(width);
  for (int64_t t = group.first; t < chunks; t += group.stride) {
    for (int64_t j = static_cast<int64_t>(group.lane) * W; j < rows.dim; j += static_cast<int64_t>(width) * W) {
      DeviceLane<W, Rows> lane{rows, out, carries, carry_rows, t, j, j == 0, {}};
#pragma unroll
      for (int e = 0; e < W; ++e) lane.acc[e] = 0.0f;
      merge_chunk_walk(a, t, lane);
    }
  }
}

// out[i] = (carry_t0 + … + carry_tk−1) + out[i] for each run of chunks left open on row i.
template <int W>
__global__ void __launch_bounds__(kBlockThreads)
    carry_fixup_kernel(const int64_t* __restrict__ carry_rows, const float* __restrict__ carries, int64_t chunks,
                       int64_t num_rows, int64_t dim, float* __restrict__ out, int width) {
  const GroupLayout group = group_layout(width);
  for (int64_t t = group.first; t < chunks; t += group.stride) {
    if (!carry_run_starts(carry_rows, t, num_rows)) continue;
    const int64_t row = carry_rows[t];
    for (int64_t j = static_cast<int64_t>(group.lane) * W; j < dim; j += static_cast<int64_t>(width) * W) {
      float sum[W];
      load_vector<W, true>(carries + t * dim + j, sum);
      for (int64_t u = t + 1; u < chunks && carry_rows[u] == row; ++u) {
        float next[W];
        load_vector<W, true>(carries + u * dim + j, next);
#pragma unroll
        for (int e = 0; e < W; ++e) sum[e] = __fadd_rn(sum[e], next[e]);
      }
      float target[W];
      load_vector<W>(out + row * dim + j, target);
#pragma unroll
      for (int e = 0; e < W; ++e) target[e] = __fadd_rn(sum[e], target[e]);
      store_vector<W>(out + row * dim + j, target);
    }
  }
}

// The current device's shape, read on its first use (sm_count 0 until then).
const LaunchShape& launch_shape() {
  static PerDevice<LaunchShape> shapes;
  LaunchShape& shape = shapes.current();
  if (shape.sm_count == 0) {
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    check(cudaDeviceGetAttribute(&shape.threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device),
          "cudaDeviceGetAttribute (threads per multiprocessor)");
    check(cudaDeviceGetAttribute(&shape.sm_count, cudaDevAttrMultiProcessorCount, device),
          "cudaDeviceGetAttribute (multiprocessor count)");
  }
  return shape;
}

// Per-call temporaries kept between calls (contents are not).
ScratchBuffer& carry_scratch() {
  static PerDevice<ScratchBuffer> buffers;
  return buffers.current();
}
ScratchBuffer& carry_row_scratch() {
  static PerDevice<ScratchBuffer> buffers;
  return buffers.current();
}
ScratchBuffer& check_scratch() {
  static PerDevice<ScratchBuffer> buffers;
  return buffers.current();
}

template <int W, typename Rows>
void launch_chunks(const CsrView& a, const Rows& rows, float* out) {
  const int64_t chunks = merge_chunk_count(a);
  if (chunks == 0 || rows.dim == 0) return;
  // Reserved one after the other: a ScratchBuffer's pointer is stable until its next reserve.
  float* carries = carry_scratch().reserve<float>(chunks * rows.dim);
  int64_t* carry_rows = carry_row_scratch().reserve<int64_t>(chunks);
  const int width = group_width(rows.dim, W);
  const LaunchShape& shape = launch_shape();
  const auto walk = propagate_chunks_kernel<W, Rows>;
  walk<<<grid_blocks(walk, chunks * width, shape), kBlockThreads>>>(a, rows, out, carries, carry_rows, chunks, width);
  check_launch("propagate_chunks_kernel");
  const auto fixup = carry_fixup_kernel<W>;
  fixup<<<grid_blocks(fixup, chunks * width, shape), kBlockThreads>>>(carry_rows, carries, chunks, a.num_rows,
                                                                      rows.dim, out, width);
  check_launch("carry_fixup_kernel");
  check(cudaDeviceSynchronize(), "sparse_propagate");
}

void propagate_cuda(const CsrView& a, const float* x, int64_t dim, float* out) {
  if (dim == 0 || merge_chunk_count(a) == 0) return;
  // Carries share dim's stride; scratch from cudaMalloc is 256-byte aligned.
  const DenseRows rows{x, dim};
  switch (vector_width(dim, {x, out})) {
    case 4: launch_chunks<4>(a, rows, out); break;
    case 2: launch_chunks<2>(a, rows, out); break;
    default: launch_chunks<1>(a, rows, out); break;
  }
}

void propagate_store_cuda(const CsrView& a, const StoreView& store, float* out) {
  if (merge_chunk_count(a) == 0) return;
  const StoreRows rows{store, store.max_dim};
  switch (vector_width(store.max_dim, {out})) {
    case 4: launch_chunks<4>(a, rows, out); break;
    case 2: launch_chunks<2>(a, rows, out); break;
    default: launch_chunks<1>(a, rows, out); break;
  }
}

// first[kind] = the least offending position of each kind (rowPtr decreasing, column, value).
// Bandwidth-bound over 4·(N+1) + 8·nnz bytes; the atomics run only on bad entries.
__global__ void __launch_bounds__(kBlockThreads)
    csr_check_kernel(const __grid_constant__ CsrView a, unsigned long long* __restrict__ first) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t start = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = start + 1; i <= a.num_rows; i += stride) {
    if (__ldg(a.row_ptr + i) < __ldg(a.row_ptr + i - 1)) atomicMin(first + kRowPtrDecreasing, static_cast<unsigned long long>(i));
  }
  for (int64_t p = start; p < a.nnz; p += stride) {
    const int32_t col = __ldg(a.col_idx + p);
    if (col < 0 || col >= a.num_cols) atomicMin(first + kColumnOutOfRange, static_cast<unsigned long long>(p));
    if (!isfinite(__ldg(a.values + p))) atomicMin(first + kValueNotFinite, static_cast<unsigned long long>(p));
  }
}

template <typename T>
T read_one(const T* device_pointer) {
  T value{};
  check(cudaMemcpy(&value, device_pointer, sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy (CSR check)");
  return value;
}

void csr_check_cuda(const CsrView& a, bool full, CsrIssue* issue) {
  *issue = CsrIssue{};
  const int32_t start = read_one(a.row_ptr);
  if (start != 0) {
    *issue = CsrIssue{kRowPtrStart, 0, start, 0, 0.0f};
    return;
  }
  unsigned long long first[kCsrIssueKinds] = {};
  if (full) {
    unsigned long long* device_first = check_scratch().reserve<unsigned long long>(kCsrIssueKinds);
    check(cudaMemset(device_first, 0xFF, sizeof(first)), "cudaMemset (CSR check)");
    const int64_t items = a.num_rows + 1 > a.nnz ? a.num_rows + 1 : a.nnz;
    csr_check_kernel<<<grid_blocks(csr_check_kernel, items, launch_shape()), kBlockThreads>>>(a, device_first);
    check_launch("csr_check_kernel");
    check(cudaMemcpy(first, device_first, sizeof(first), cudaMemcpyDeviceToHost), "cudaMemcpy (CSR check)");
    const unsigned long long i = first[kRowPtrDecreasing];
    if (i <= static_cast<unsigned long long>(a.num_rows)) {
      *issue = CsrIssue{kRowPtrDecreasing, static_cast<int64_t>(i), read_one(a.row_ptr + i),
                        read_one(a.row_ptr + i - 1), 0.0f};
      return;
    }
  }
  const int32_t end = read_one(a.row_ptr + a.num_rows);
  if (end != a.nnz) {
    *issue = CsrIssue{kRowPtrEnd, a.num_rows, end, 0, 0.0f};
    return;
  }
  if (!full) return;
  const unsigned long long nnz = static_cast<unsigned long long>(a.nnz);
  if (first[kColumnOutOfRange] < nnz) {
    const int64_t p = static_cast<int64_t>(first[kColumnOutOfRange]);
    *issue = CsrIssue{kColumnOutOfRange, p, read_one(a.col_idx + p), 0, 0.0f};
  } else if (first[kValueNotFinite] < nnz) {
    const int64_t p = static_cast<int64_t>(first[kValueNotFinite]);
    *issue = CsrIssue{kValueNotFinite, p, 0, 0, read_one(a.values + p)};
  }
}

const KernelRegistration check_registration =
    KernelRegistration::of<CsrCheckKernel>(kCsrCheck, Backend::kCuda, &csr_check_cuda);
const KernelRegistration dense =
    KernelRegistration::of<PropagateKernel>(kPropagate, Backend::kCuda, &propagate_cuda);
const KernelRegistration from_store =
    KernelRegistration::of<PropagateStoreKernel>(kPropagateStore, Backend::kCuda, &propagate_store_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
