// A training step allocates its activations and gradients afresh: tensors of about a megabyte
// (a batch of 500 × 512 floats), dozens per step. glibc serves each one above M_MMAP_THRESHOLD
// (128 KiB at first, then moving with what was freed) with mmap and returns it with munmap, or
// trims the heap top past M_TRIM_THRESHOLD, so every step faults its pages in again: measured on
// 2 cores, a 500×256·256×512 GEMM into a fresh output took 1.0–1.1 ms against 0.75 ms into a
// reused one, and an ESAPN step spent more in page faults than in its elementwise kernels.
// Serving blocks up to 32 MiB from the heap and keeping up to 64 MiB of free heap makes the
// next step reuse the same pages. The cost is that memory freed below those sizes stays with the
// process. MIXDIM_MALLOC_TUNING=0 leaves malloc as it was.
#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mixdim {

bool tune_malloc_for_tensors() {
#if defined(__GLIBC__)
  static const bool tuned = [] {
    const char* setting = std::getenv("MIXDIM_MALLOC_TUNING");
    if (setting != nullptr && std::strcmp(setting, "0") == 0) return false;
    // Setting either one also stops glibc's own moving of both thresholds.
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 64 << 20) == 1;
  }();
  return tuned;
#else
  return false;
#endif
}

}  // namespace mixdim
