// The sparse propagation op's kernel signatures, shared by its CPU and CUDA registrations.
// The math and the summation order are in native/kernels/sparse_propagation.h.
#pragma once

#include <stdint.h>

#include "../kernels/sparse_propagation.h"
#include "../kernels/store_layout.h"

namespace mixdim {

// *issue = the first problem of `a` in the order of CsrIssueKind, or kCsrValid. With full = false
// only row_ptr's ends are read (O(1)): what a graph validated earlier still needs for memory safety.
using CsrCheckKernel = void(const CsrView& a, bool full, CsrIssue* issue);

// out[N × dim] = Â · x, x [num_cols × dim] dense.
using PropagateKernel = void(const CsrView& a, const float* x, int64_t dim, float* out);

// out[N × max_dim] = Â · X with X's row c the store's row c, zero beyond its size; num_cols = store.num_rows.
using PropagateStoreKernel = void(const CsrView& a, const StoreView& store, float* out);

constexpr const char* kCsrCheck = "csr_check";
constexpr const char* kPropagate = "sparse_propagate";
constexpr const char* kPropagateStore = "sparse_propagate_store";

}  // namespace mixdim
