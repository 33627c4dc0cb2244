// Groups a batch's positions by the row they read, on the device: the sort → unique step of
// FBGEMM's TBE backward, and the device counterpart of native/row_segments.h with the same result.
//
// cub::DeviceRadixSort sorts (id, position) pairs over only the bits an id in [0, num_rows) can
// set; radix sort is stable, so each row's positions stay in batch order and a segment summed
// front to back adds the same floats in the same order as the CPU. cub::DeviceSelect::UniqueByKey
// then keeps the first sorted index of each id: the segment starts.
#pragma once

#include <stdint.h>

#include "launch_geometry.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

// Device pointers into DeviceRowSegments' buffers, valid until its next build.
struct DeviceSegments {
  const int32_t* positions;  // the n batch positions sorted by id, stable
  const int32_t* starts;     // segment s covers positions[starts[s] .. starts[s+1]); the last one ends at n
  const int32_t* ids;        // each segment's id, increasing
  const int32_t* count;      // the number of segments (one int32 on the device)
  int64_t n;
};

// Waits for the build that made `segments` and returns its segment count.
int64_t segment_count_on_host(const DeviceSegments& segments);

class DeviceRowSegments {
 public:
  // Enqueues the sort and the segmenting on the default stream and returns without waiting.
  // Expects 0 < n <= INT32_MAX and every id in [0, num_rows).
  DeviceSegments build(const int32_t* ids, int64_t n, int64_t num_rows, const LaunchShape& shape);

 private:
  ScratchBuffer batch_positions_;  // 0, 1, …, iota_length_ - 1: the sort's values
  int64_t iota_length_ = 0;
  ScratchBuffer sorted_ids_;
  ScratchBuffer sorted_positions_;
  ScratchBuffer segment_ids_;
  ScratchBuffer segment_starts_;
  ScratchBuffer segment_count_;
  ScratchBuffer cub_temp_;
};

}  // namespace cuda
}  // namespace mixdim
