// Keeps glibc's malloc from handing batch-sized tensors back to the kernel between batches.
#pragma once

namespace mixdim {

// Called once when the addon loads; returns whether the tuning applies (glibc, and not turned off).
bool tune_malloc_for_tensors();

}  // namespace mixdim
