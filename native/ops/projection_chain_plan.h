// The projection chain's sequence of products, written once for the CPU and CUDA kernels.
//
// `Ops` supplies memory and the small row kernels on its device (see projection_chain_cpu.cc and
// cuda/projection_chain.cu):
//   GemmKernel* gemm;                                       the registry's GEMM for the device
//   float* floats(int slot, int64_t n);                     scratch, valid for the call
//   const int32_t* indices(const int32_t* host, int64_t n); host ints visible to the device
//   void gather(src, src_stride, index, count, width, block);   block[i] = src[index[i], :width]
//   void scatter(block, index, count, width, dst, dst_stride);  dst[index[i], :width] = block[i]
//   void fill(dst, n, value); void copy(dst, src, n); void add(dst, src, n); void identity(dst, d);
//   void forward_rows(M_k, c_k, d_k, full, rows, row_width, index, count, out);
//        out[index[i]] = M_k rows[index[i], :d_k] + c_k, fused (no gather, GEMM or scatter)
//
// Classes with d_k ≤ kChainFusedMaxDim take forward_rows: their GEMM has an inner dimension too
// small to pay for the gather, the scatter and the extra passes over a [count, d_{n−1}] block.
// Rows are grouped by class with a counting sort on the host (stable, so the order is fixed),
// and each class runs as one GEMM over a gathered [count, d_k] block.
#pragma once

#include <stdint.h>

#include <vector>

#include "../kernels/projection_chain.h"
#include "gemm.h"

namespace mixdim {

constexpr int64_t kChainFusedMaxDim = 16;

struct ChainGroups {
  std::vector<int32_t> order;  // rows sorted by class, stable
  int64_t start[kMaxChainClasses + 1] = {};

  int64_t count(int32_t k) const { return start[k + 1] - start[k]; }
};

inline ChainGroups chain_groups(const ChainLayout& layout, int64_t batch, const int32_t* row_class) {
  ChainGroups groups;
  for (int64_t b = 0; b < batch; ++b) ++groups.start[row_class[b] + 1];
  for (int32_t k = 0; k < layout.classes; ++k) groups.start[k + 1] += groups.start[k];
  std::vector<int64_t> next(groups.start, groups.start + layout.classes);
  groups.order.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) groups.order[static_cast<size_t>(next[row_class[b]]++)] = static_cast<int32_t>(b);
  return groups;
}

// M_{n−1} = I, c_{n−1} = 0; M_k = M_{k+1} W_k and c_k = c_{k+1} + M_{k+1} b_k, k = n−2..0.
template <typename Ops>
void chain_precompose_plan(Ops& ops, const ChainLayout& layout, const float* weights, const float* biases,
                           float* matrices, float* offsets) {
  const int32_t n = layout.classes;
  const int64_t full = layout.full();
  ops.identity(matrices + layout.matrix_offsets[n - 1], full);
  ops.fill(offsets + (n - 1) * full, full, 0.0f);
  for (int32_t k = n - 2; k >= 0; --k) {
    const int64_t dk = layout.dims[k];
    const int64_t dnext = layout.dims[k + 1];
    const float* m_next = matrices + layout.matrix_offsets[k + 1];
    ops.gemm(false, false, full, dk, dnext, 1.0f, m_next, dnext, weights + layout.weight_offsets[k], dk, 0.0f,
             matrices + layout.matrix_offsets[k], dk, nullptr);
    float* c = offsets + k * full;
    ops.copy(c, offsets + (k + 1) * full, full);
    ops.gemm(false, false, full, 1, dnext, 1.0f, m_next, dnext, biases + layout.bias_offsets[k], 1, 1.0f, c, 1,
             nullptr);
  }
}

// Per class: out[rows of k] = rows[:, :d_k] M_kᵀ + c_k, one GEMM.
template <typename Ops>
void chain_forward_plan(Ops& ops, const ChainLayout& layout, const float* matrices, const float* offsets,
                        int64_t batch, int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  if (batch == 0) return;
  const ChainGroups groups = chain_groups(layout, batch, row_class);
  const int32_t* order = ops.indices(groups.order.data(), batch);
  const int64_t full = layout.full();
  float* block = ops.floats(0, batch * full);
  float* result = ops.floats(1, batch * full);
  for (int32_t k = 0; k < layout.classes; ++k) {
    const int64_t count = groups.count(k);
    if (count == 0) continue;
    const int32_t* index = order + groups.start[k];
    const int64_t dk = layout.dims[k];
    if (dk <= kChainFusedMaxDim) {
      ops.forward_rows(matrices + layout.matrix_offsets[k], offsets + k * full, dk, full, rows, row_width, index, count,
                       out);
      continue;
    }
    ops.gather(rows, row_width, index, count, dk, block);
    if (k == layout.classes - 1) {
      ops.scatter(block, index, count, full, out, full);
      continue;
    }
    ops.gemm(false, true, count, full, dk, 1.0f, block, dk, matrices + layout.matrix_offsets[k], dk, 0.0f, result,
             full, offsets + k * full);
    ops.scatter(result, index, count, full, out, full);
  }
}

// The step-by-step chain. Rows sorted by class make those at size d_j after j links a prefix:
// step j maps the prefix of classes ≤ j through W_j (one GEMM) and appends the class j+1 rows.
template <typename Ops>
void chain_stepwise_forward_plan(Ops& ops, const ChainLayout& layout, const float* weights, const float* biases,
                                 int64_t batch, int64_t row_width, const float* rows, const int32_t* row_class,
                                 float* out) {
  if (batch == 0) return;
  const ChainGroups groups = chain_groups(layout, batch, row_class);
  const int32_t* order = ops.indices(groups.order.data(), batch);
  const int64_t full = layout.full();
  float* current = ops.floats(0, batch * full);
  float* next = ops.floats(1, batch * full);
  if (groups.count(0) > 0) ops.gather(rows, row_width, order, groups.count(0), layout.dims[0], current);
  for (int32_t j = 0; j + 1 < layout.classes; ++j) {
    const int64_t dj = layout.dims[j];
    const int64_t dnext = layout.dims[j + 1];
    const int64_t mapped = groups.start[j + 1];  // rows of classes ≤ j
    if (mapped > 0) {
      ops.gemm(false, true, mapped, dnext, dj, 1.0f, current, dj, weights + layout.weight_offsets[j], dj, 0.0f, next,
               dnext, biases + layout.bias_offsets[j]);
    }
    if (groups.count(j + 1) > 0) {
      ops.gather(rows, row_width, order + mapped, groups.count(j + 1), dnext, next + mapped * dnext);
    }
    float* swap = current;
    current = next;
    next = swap;
  }
  ops.scatter(current, order, batch, full, out, full);
}

// One link per row: class k < n−1 → W_k e + b_k at d_{k+1}, zero-padded; the last class is copied.
template <typename Ops>
void chain_link_plan(Ops& ops, const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                     int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  ops.fill(out, batch * row_width, 0.0f);
  if (batch == 0) return;
  const ChainGroups groups = chain_groups(layout, batch, row_class);
  const int32_t* order = ops.indices(groups.order.data(), batch);
  const int64_t full = layout.full();
  float* block = ops.floats(0, batch * full);
  float* result = ops.floats(1, batch * full);
  for (int32_t k = 0; k < layout.classes; ++k) {
    const int64_t count = groups.count(k);
    if (count == 0) continue;
    const int32_t* index = order + groups.start[k];
    const int64_t dk = layout.dims[k];
    ops.gather(rows, row_width, index, count, dk, block);
    if (k == layout.classes - 1) {
      ops.scatter(block, index, count, dk, out, row_width);
      continue;
    }
    const int64_t dnext = layout.dims[k + 1];
    ops.gemm(false, true, count, dnext, dk, 1.0f, block, dk, weights + layout.weight_offsets[k], dk, 0.0f, result,
             dnext, biases + layout.bias_offsets[k]);
    ops.scatter(result, index, count, dnext, out, row_width);
  }
}

// Backward, derived in docs/gumbel_and_chain.md §2. Per class k (batch-sized, three GEMMs):
//   G_k = Σ_{b∈k} dout_b e_bᵀ (d_{n−1} × d_k),  g_k = Σ_{b∈k} dout_b,  de_b = M_kᵀ dout_b.
// Then matrix-sized, with H_0 = G_0, H_j = G_j + H_{j−1} W_{j−1}ᵀ + (Σ_{k<j} g_k) b_{j−1}ᵀ:
//   dW_j = M_{j+1}ᵀ H_j,   db_j = M_{j+1}ᵀ Σ_{k≤j} g_k,   since M_{j+1} = W_{n−2}⋯W_{j+1}.
template <typename Ops>
void chain_backward_plan(Ops& ops, const ChainLayout& layout, const float* weights, const float* biases,
                         const float* matrices, int64_t batch, int64_t row_width, const float* rows,
                         const int32_t* row_class, const float* dout, float* drows, float* dweights,
                         float* dbiases) {
  const int32_t n = layout.classes;
  const int64_t full = layout.full();
  ops.fill(drows, batch * row_width, 0.0f);
  const ChainGroups groups = chain_groups(layout, batch, row_class);
  const int32_t* order = batch > 0 ? ops.indices(groups.order.data(), batch) : nullptr;
  float* block = ops.floats(0, batch * full);
  float* grad_block = ops.floats(1, batch * full);
  float* grad_rows = ops.floats(2, batch * full);
  float* sums = ops.floats(3, layout.matrix_count);  // H_k, packed like M
  float* cumulative = ops.floats(4, n * full);        // Σ_{i≤k} g_i
  float* ones = ops.floats(5, batch > 0 ? batch : 1);
  ops.fill(ones, batch > 0 ? batch : 1, 1.0f);
  for (int32_t k = 0; k < n; ++k) {
    const int64_t count = groups.count(k);
    const int64_t dk = layout.dims[k];
    float* h = sums + layout.matrix_offsets[k];
    float* g = cumulative + k * full;
    if (count == 0) {
      ops.fill(h, full * dk, 0.0f);
      ops.fill(g, full, 0.0f);
    } else {
      const int32_t* index = order + groups.start[k];
      ops.gather(rows, row_width, index, count, dk, block);
      ops.gather(dout, full, index, count, full, grad_block);
      ops.gemm(true, false, full, dk, count, 1.0f, grad_block, full, block, dk, 0.0f, h, dk, nullptr);
      ops.gemm(false, false, 1, full, count, 1.0f, ones, count, grad_block, full, 0.0f, g, full, nullptr);
      if (k == n - 1) {
        ops.scatter(grad_block, index, count, full, drows, row_width);
      } else {
        ops.gemm(false, false, count, dk, full, 1.0f, grad_block, full, matrices + layout.matrix_offsets[k], dk, 0.0f,
                 grad_rows, dk, nullptr);
        ops.scatter(grad_rows, index, count, dk, drows, row_width);
      }
    }
    if (k > 0) ops.add(g, cumulative + (k - 1) * full, full);
  }
  for (int32_t j = 0; j + 1 < n; ++j) {
    const int64_t dj = layout.dims[j];
    const int64_t dnext = layout.dims[j + 1];
    float* h = sums + layout.matrix_offsets[j];
    if (j > 0) {
      const int64_t dprev = layout.dims[j - 1];
      ops.gemm(false, true, full, dj, dprev, 1.0f, sums + layout.matrix_offsets[j - 1], dprev,
               weights + layout.weight_offsets[j - 1], dprev, 1.0f, h, dj, nullptr);
      ops.gemm(false, false, full, dj, 1, 1.0f, cumulative + (j - 1) * full, 1, biases + layout.bias_offsets[j - 1],
               dj, 1.0f, h, dj, nullptr);
    }
    const float* m_next = matrices + layout.matrix_offsets[j + 1];
    ops.gemm(true, false, dnext, dj, full, 1.0f, m_next, dnext, h, dj, 0.0f, dweights + layout.weight_offsets[j], dj,
             nullptr);
    ops.gemm(true, false, dnext, 1, full, 1.0f, m_next, dnext, cumulative + j * full, 1, 0.0f,
             dbiases + layout.bias_offsets[j], 1, nullptr);
  }
}

}  // namespace mixdim
