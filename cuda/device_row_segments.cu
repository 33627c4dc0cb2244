#include "device_row_segments.cuh"

#include <thrust/iterator/counting_iterator.h>

#include <algorithm>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_select.cuh>

#include "cuda_check.cuh"

namespace mixdim {
namespace cuda {

namespace {

// positions[b] = b: the values the sort carries along with the ids. Bandwidth-bound at 4·n bytes written,
// and run only when the batch is larger than any before.
__global__ void fill_batch_positions(int32_t* __restrict__ positions, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < n; b += stride) {
    positions[b] = static_cast<int32_t>(b);
  }
}

// Only the bits that can be set in an id in [0, num_rows) need sorting (as in native/row_segments.cc).
int id_key_bits(int64_t num_rows) {
  int bits = 0;
  while (bits < 31 && (int64_t(1) << bits) < num_rows) ++bits;
  return std::max(bits, 1);
}

}  // namespace

DeviceSegments DeviceRowSegments::build(const int32_t* ids, int64_t n, int64_t num_rows, const LaunchShape& shape) {
  if (n > iota_length_) {
    iota_length_ = 0;  // stays 0 if growing fails, so a later build refills
    int32_t* positions = batch_positions_.reserve<int32_t>(n);
    fill_batch_positions<<<grid_blocks(fill_batch_positions, n, shape), kBlockThreads>>>(positions, n);
    check_launch("fill_batch_positions");
    iota_length_ = n;
  }
  const int items = static_cast<int>(n);
  const int end_bit = id_key_bits(num_rows);
  // Ids are non-negative, so sorting them as unsigned over their low bits orders them as integers.
  const uint32_t* keys_in = reinterpret_cast<const uint32_t*>(ids);
  uint32_t* keys_out = sorted_ids_.reserve<uint32_t>(n);
  const int32_t* values_in = batch_positions_.reserve<int32_t>(iota_length_);
  int32_t* values_out = sorted_positions_.reserve<int32_t>(n);
  uint32_t* unique_out = segment_ids_.reserve<uint32_t>(n);
  int32_t* starts_out = segment_starts_.reserve<int32_t>(n);
  int32_t* count_out = segment_count_.reserve<int32_t>(1);
  const thrust::counting_iterator<int32_t> sorted_index(0);

  size_t sort_bytes = 0;
  check(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, keys_in, keys_out, values_in, values_out, items, 0,
                                        end_bit),
        "cub::DeviceRadixSort::SortPairs (size query)");
  size_t unique_bytes = 0;
  check(cub::DeviceSelect::UniqueByKey(nullptr, unique_bytes, keys_out, sorted_index, unique_out, starts_out,
                                       count_out, items),
        "cub::DeviceSelect::UniqueByKey (size query)");
  void* temp = cub_temp_.reserve_bytes(std::max(sort_bytes, unique_bytes));

  check(cub::DeviceRadixSort::SortPairs(temp, sort_bytes, keys_in, keys_out, values_in, values_out, items, 0, end_bit),
        "cub::DeviceRadixSort::SortPairs");
  check(cub::DeviceSelect::UniqueByKey(temp, unique_bytes, keys_out, sorted_index, unique_out, starts_out, count_out,
                                       items),
        "cub::DeviceSelect::UniqueByKey");

  return DeviceSegments{values_out, starts_out, reinterpret_cast<const int32_t*>(unique_out), count_out, n};
}

int64_t segment_count_on_host(const DeviceSegments& segments) {
  int32_t count = 0;
  // A synchronous copy on the default stream: it waits for the sort and the segmenting.
  check(cudaMemcpy(&count, segments.count, sizeof(count), cudaMemcpyDeviceToHost),
        "cudaMemcpy (segment count to host)");
  return count;
}

}  // namespace cuda
}  // namespace mixdim
