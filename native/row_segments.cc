#include "row_segments.h"

#include <array>
#include <cstddef>

namespace mixdim {

RowSegments segment_by_row(const int32_t* ids, int64_t n, int64_t num_rows) {
  RowSegments result;
  std::vector<int32_t> order(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; ++b) order[b] = static_cast<int32_t>(b);

  // Only the bits that can be set in an id in [0, num_rows) need sorting.
  int key_bits = 0;
  while (key_bits < 31 && (int64_t(1) << key_bits) < num_rows) ++key_bits;
  std::vector<int32_t> scratch(static_cast<size_t>(n));
  for (int shift = 0; shift < key_bits; shift += 8) {
    std::array<int64_t, 257> starts{};
    for (int64_t b = 0; b < n; ++b) starts[((ids[order[b]] >> shift) & 0xFF) + 1]++;
    for (int digit = 0; digit < 256; ++digit) starts[digit + 1] += starts[digit];
    for (int64_t b = 0; b < n; ++b) scratch[starts[(ids[order[b]] >> shift) & 0xFF]++] = order[b];
    order.swap(scratch);
  }

  for (int64_t b = 0; b < n; ++b) {
    const int32_t id = ids[order[b]];
    if (b == 0 || id != result.ids.back()) {
      result.ids.push_back(id);
      result.offsets.push_back(b);
    }
  }
  result.offsets.push_back(n);
  result.positions = std::move(order);
  return result;
}

}  // namespace mixdim
