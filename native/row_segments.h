// Groups a batch's positions by the row they read: the host-side counterpart of
// FBGEMM's sort → run-length-encode step, used by every row-sparse backward on the CPU.
//
// A stable LSD radix sort of the positions by id keeps each row's positions in batch order,
// so summing a segment front to back gives the same floats whatever the thread count.
#pragma once

#include <stdint.h>

#include <vector>

namespace mixdim {

struct RowSegments {
  std::vector<int32_t> positions;  // batch positions sorted by id, stable
  std::vector<int64_t> offsets;    // segment s covers positions[offsets[s] .. offsets[s+1])
  std::vector<int32_t> ids;        // the id of each segment, increasing
  int64_t count() const { return static_cast<int64_t>(ids.size()); }
};

RowSegments segment_by_row(const int32_t* ids, int64_t n, int64_t num_rows);

}  // namespace mixdim
