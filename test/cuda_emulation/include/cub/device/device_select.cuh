// cub::DeviceSelect::UniqueByKey on the host, for the emulated build: the first (key, value) of
// each run of equal keys, and how many runs there are.
#pragma once

#include <stddef.h>

#include "../temporary_storage.h"

namespace cub {

struct DeviceSelect {
  // CUB sizes its storage for the tile states of a decoupled look-back scan; a fixed size keeps the protocol.
  static constexpr size_t kUniqueByKeyStorageBytes = 256;

  template <typename KeysIn, typename ValuesIn, typename KeysOut, typename ValuesOut, typename NumSelected, typename NumItems>
  static cudaError_t UniqueByKey(void* temp_storage, size_t& temp_storage_bytes, KeysIn keys_in, ValuesIn values_in,
                                 KeysOut keys_out, ValuesOut values_out, NumSelected num_selected_out, NumItems num_items,
                                 cudaStream_t = nullptr) {
    cudaError_t status;
    if (!detail_emulated::use_temporary_storage("cub::DeviceSelect::UniqueByKey", temp_storage, temp_storage_bytes,
                                                kUniqueByKeyStorageBytes, &status)) {
      return status;
    }
    NumItems selected = 0;
    for (NumItems i = 0; i < num_items; ++i) {
      if (i > 0 && keys_in[i] == keys_in[i - 1]) continue;
      keys_out[selected] = keys_in[i];
      values_out[selected] = values_in[i];
      ++selected;
    }
    *num_selected_out = selected;
    return cudaSuccess;
  }
};

}  // namespace cub
