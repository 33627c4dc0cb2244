// cub::DeviceRadixSort::SortPairs on the host, for the emulated build: a stable sort of
// (key, value) pairs by the key's bits [begin_bit, end_bit), staged in the temporary storage.
#pragma once

#include <stddef.h>

#include <algorithm>

#include "../temporary_storage.h"

namespace cub {

struct DeviceRadixSort {
  template <typename Key, typename Value, typename NumItems>
  static cudaError_t SortPairs(void* temp_storage, size_t& temp_storage_bytes, const Key* keys_in, Key* keys_out,
                               const Value* values_in, Value* values_out, NumItems num_items, int begin_bit = 0,
                               int end_bit = sizeof(Key) * 8, cudaStream_t = nullptr) {
    struct Pair {
      Key key;
      Value value;
    };
    const size_t items = num_items > 0 ? static_cast<size_t>(num_items) : 0;
    cudaError_t status;
    if (!detail_emulated::use_temporary_storage("cub::DeviceRadixSort::SortPairs", temp_storage, temp_storage_bytes,
                                                sizeof(Pair) * (items + 1), &status)) {
      return status;
    }
    Pair* pairs = static_cast<Pair*>(temp_storage);
    for (size_t i = 0; i < items; ++i) pairs[i] = Pair{keys_in[i], values_in[i]};
    const int bits = end_bit - begin_bit;
    const unsigned long long mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    auto sort_key = [&](const Pair& p) { return (static_cast<unsigned long long>(p.key) >> begin_bit) & mask; };
    std::stable_sort(pairs, pairs + items, [&](const Pair& a, const Pair& b) { return sort_key(a) < sort_key(b); });
    for (size_t i = 0; i < items; ++i) {
      keys_out[i] = pairs[i].key;
      values_out[i] = pairs[i].value;
    }
    return cudaSuccess;
  }
};

}  // namespace cub
