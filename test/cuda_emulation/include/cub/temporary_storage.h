// CUB's two-call protocol for temporary device storage, kept by the emulated build's host CUB:
// a call with null storage only reports the bytes it needs; a call with storage checks that it was
// handed at least that many, and writes all of them (so AddressSanitizer sees a buffer that is
// shorter than the size claimed for it).
#pragma once

#include <string.h>

#include <string>

#include "../mixdim_emu/types.h"

namespace mixdim_emu {
void set_launch_error(cudaError_t error, const std::string& detail);
}

namespace cub {
namespace detail_emulated {

// Returns true when the caller should go on and run the algorithm on `storage`.
inline bool use_temporary_storage(const char* algorithm, void* storage, size_t& storage_bytes, size_t required,
                                  cudaError_t* status) {
  *status = cudaSuccess;
  if (storage == nullptr) {
    storage_bytes = required;
    return false;
  }
  if (storage_bytes < required) {
    *status = cudaErrorInvalidValue;
    ::mixdim_emu::set_launch_error(*status, std::string(algorithm) + " was handed " + std::to_string(storage_bytes) +
                                               " bytes of temporary storage, less than the " + std::to_string(required) +
                                               " its size query reported");
    return false;
  }
  memset(storage, 0xff, required);
  return true;
}

}  // namespace detail_emulated
}  // namespace cub
