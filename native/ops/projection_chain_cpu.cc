// The projection chain on the CPU: the plan of projection_chain_plan.h over the registry's GEMM,
// with row gathers and scatters split over the thread pool, and the fused small-class forward as
// AVX-512, AVX2 or portable row kernels picked once at run time (the addon targets baseline x86-64).
#include <string.h>

#include <vector>

#include "../kernel_registry.h"
#include "../thread_pool.h"
#include "gemm.h"
#include "projection_chain.h"
#include "projection_chain_plan.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MIXDIM_CHAIN_X86 1
#endif

namespace mixdim {

namespace {

constexpr int64_t kRowGrain = 64;
// A fused row is ~20 ns of work: bigger chunks keep the pool's per-chunk lock out of the profile.
constexpr int64_t kFusedRowGrain = 1024;
constexpr int kScratchSlots = 6;

// The fused small-class forward, rows [begin, end) of `index`:
//   out[index[i], r] = c[r] + Σ_{col<d_k} e[col]·t[col, r],   e = rows[index[i]], t = M_kᵀ (d_k × full),
// summed in ascending col, a multiply then an add (no FMA: -ffp-contract=off), as chain_row_output,
// so every variant gives the same bits. The variants differ only in how many r they hold in registers:
// the vector ones keep up to four vectors of outputs while col runs, so each output is stored once.
using FusedRowsFn = void (*)(const float* t, const float* c, int64_t dk, int64_t full, const float* rows,
                             int64_t row_width, const int32_t* index, int64_t begin, int64_t end, float* out);

void fused_rows_portable(const float* t, const float* c, int64_t dk, int64_t full, const float* rows,
                         int64_t row_width, const int32_t* index, int64_t begin, int64_t end, float* out) {
  for (int64_t i = begin; i < end; ++i) {
    const float* e = rows + static_cast<int64_t>(index[i]) * row_width;
    float* o = out + static_cast<int64_t>(index[i]) * full;
    for (int64_t r = 0; r < full; ++r) o[r] = c[r];
    for (int64_t col = 0; col < dk; ++col) {
      const float value = e[col];
      const float* tc = t + col * full;
      for (int64_t r = 0; r < full; ++r) o[r] += value * tc[r];
    }
  }
}

#if MIXDIM_CHAIN_X86

// Rows ahead: the input's first d_k values and every line of the output row, into L1. Without it
// d_k = 8 ran 3-4× slower than with the outputs in L1: the stores wait on read-for-ownership misses,
// and the loads of t seem to stall behind them once t (d_k·full floats) spans 4 KiB (4K aliasing;
// inferred from timing variants, this VM has no counters). See docs/gumbel_and_chain.md §3.
constexpr int64_t kFusedPrefetchRows = 4;

// Every cache line of floats [p, p + n), n ≥ 1 (a prefetch never faults).
inline void prefetch_lines(const float* p, int64_t n) {
  const uintptr_t last = reinterpret_cast<uintptr_t>(p + n - 1);
  for (uintptr_t line = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; line <= last; line += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
  }
}

inline void prefetch_row(const float* rows, int64_t row_width, int64_t dk, const float* out, int64_t full,
                         int32_t row) {
  prefetch_lines(rows + static_cast<int64_t>(row) * row_width, dk);
  prefetch_lines(out + static_cast<int64_t>(row) * full, full);
}

__attribute__((target("avx2"))) void fused_rows_avx2(const float* t, const float* c, int64_t dk, int64_t full,
                                                     const float* rows, int64_t row_width, const int32_t* index,
                                                     int64_t begin, int64_t end, float* out) {
  for (int64_t i = begin; i < end; ++i) {
    const float* e = rows + static_cast<int64_t>(index[i]) * row_width;
    float* o = out + static_cast<int64_t>(index[i]) * full;
    if (i + kFusedPrefetchRows < end) prefetch_row(rows, row_width, dk, out, full, index[i + kFusedPrefetchRows]);
    int64_t r = 0;
    for (; r + 32 <= full; r += 32) {
      __m256 a0 = _mm256_loadu_ps(c + r), a1 = _mm256_loadu_ps(c + r + 8);
      __m256 a2 = _mm256_loadu_ps(c + r + 16), a3 = _mm256_loadu_ps(c + r + 24);
      for (int64_t col = 0; col < dk; ++col) {
        const __m256 v = _mm256_set1_ps(e[col]);
        const float* tc = t + col * full + r;
        a0 = _mm256_add_ps(a0, _mm256_mul_ps(v, _mm256_loadu_ps(tc)));
        a1 = _mm256_add_ps(a1, _mm256_mul_ps(v, _mm256_loadu_ps(tc + 8)));
        a2 = _mm256_add_ps(a2, _mm256_mul_ps(v, _mm256_loadu_ps(tc + 16)));
        a3 = _mm256_add_ps(a3, _mm256_mul_ps(v, _mm256_loadu_ps(tc + 24)));
      }
      _mm256_storeu_ps(o + r, a0);
      _mm256_storeu_ps(o + r + 8, a1);
      _mm256_storeu_ps(o + r + 16, a2);
      _mm256_storeu_ps(o + r + 24, a3);
    }
    for (; r + 8 <= full; r += 8) {
      __m256 a = _mm256_loadu_ps(c + r);
      for (int64_t col = 0; col < dk; ++col) {
        a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_set1_ps(e[col]), _mm256_loadu_ps(t + col * full + r)));
      }
      _mm256_storeu_ps(o + r, a);
    }
    for (; r < full; ++r) {
      float total = c[r];
      for (int64_t col = 0; col < dk; ++col) total += e[col] * t[col * full + r];
      o[r] = total;
    }
  }
}

__attribute__((target("avx512f"))) void fused_rows_avx512(const float* t, const float* c, int64_t dk, int64_t full,
                                                          const float* rows, int64_t row_width, const int32_t* index,
                                                          int64_t begin, int64_t end, float* out) {
  for (int64_t i = begin; i < end; ++i) {
    const float* e = rows + static_cast<int64_t>(index[i]) * row_width;
    float* o = out + static_cast<int64_t>(index[i]) * full;
    if (i + kFusedPrefetchRows < end) prefetch_row(rows, row_width, dk, out, full, index[i + kFusedPrefetchRows]);
    int64_t r = 0;
    for (; r + 64 <= full; r += 64) {
      __m512 a0 = _mm512_loadu_ps(c + r), a1 = _mm512_loadu_ps(c + r + 16);
      __m512 a2 = _mm512_loadu_ps(c + r + 32), a3 = _mm512_loadu_ps(c + r + 48);
      for (int64_t col = 0; col < dk; ++col) {
        const __m512 v = _mm512_set1_ps(e[col]);
        const float* tc = t + col * full + r;
        a0 = _mm512_add_ps(a0, _mm512_mul_ps(v, _mm512_loadu_ps(tc)));
        a1 = _mm512_add_ps(a1, _mm512_mul_ps(v, _mm512_loadu_ps(tc + 16)));
        a2 = _mm512_add_ps(a2, _mm512_mul_ps(v, _mm512_loadu_ps(tc + 32)));
        a3 = _mm512_add_ps(a3, _mm512_mul_ps(v, _mm512_loadu_ps(tc + 48)));
      }
      _mm512_storeu_ps(o + r, a0);
      _mm512_storeu_ps(o + r + 16, a1);
      _mm512_storeu_ps(o + r + 32, a2);
      _mm512_storeu_ps(o + r + 48, a3);
    }
    for (; r < full; r += 16) {
      // Lanes past `full` are neither loaded nor stored.
      const __mmask16 lanes = full - r >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (full - r)) - 1u);
      __m512 a = _mm512_maskz_loadu_ps(lanes, c + r);
      for (int64_t col = 0; col < dk; ++col) {
        a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_set1_ps(e[col]), _mm512_maskz_loadu_ps(lanes, t + col * full + r)));
      }
      _mm512_mask_storeu_ps(o + r, lanes, a);
    }
  }
}

#endif

// Picked once at run time, since the addon is compiled for baseline x86-64.
FusedRowsFn fused_rows_kernel() {
  static const FusedRowsFn picked = [] {
#if MIXDIM_CHAIN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return &fused_rows_avx512;
    if (__builtin_cpu_supports("avx2")) return &fused_rows_avx2;
#endif
    return &fused_rows_portable;
  }();
  return picked;
}

class CpuChainOps {
 public:
  GemmKernel* gemm = kernel<GemmKernel>(kGemm, -1);

  // Kept between calls and grown on demand, so a call does not page-fault fresh memory in.
  // Ops run one at a time on the JS thread.
  float* floats(int slot, int64_t n) {
    static std::vector<float> scratch[kScratchSlots + 1];
    std::vector<float>& buffer = scratch[slot];
    if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<size_t>(n));
    return buffer.data();
  }
  const int32_t* indices(const int32_t* host, int64_t) { return host; }

  void gather(const float* src, int64_t src_stride, const int32_t* index, int64_t count, int64_t width,
              float* block) {
    ThreadPool::instance().parallel_for(count, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        memcpy(block + i * width, src + static_cast<int64_t>(index[i]) * src_stride, sizeof(float) * width);
      }
    });
  }
  void scatter(const float* block, const int32_t* index, int64_t count, int64_t width, float* dst,
               int64_t dst_stride) {
    ThreadPool::instance().parallel_for(count, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        memcpy(dst + static_cast<int64_t>(index[i]) * dst_stride, block + i * width, sizeof(float) * width);
      }
    });
  }
  void fill(float* dst, int64_t n, float value) {
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }
  void copy(float* dst, const float* src, int64_t n) {
    if (n > 0) memcpy(dst, src, sizeof(float) * n);
  }
  void add(float* dst, const float* src, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  }
  void identity(float* dst, int64_t d) {
    fill(dst, d * d, 0.0f);
    for (int64_t i = 0; i < d; ++i) dst[i * d + i] = 1.0f;
  }
  // M_k transposed once (d_k × full, matrix-sized), then each row through the best row kernel here.
  void forward_rows(const float* m, const float* c, int64_t dk, int64_t full, const float* rows, int64_t row_width,
                    const int32_t* index, int64_t count, float* out) {
    float* transposed = floats(kScratchSlots, dk * full);
    for (int64_t r = 0; r < full; ++r) {
      for (int64_t col = 0; col < dk; ++col) transposed[col * full + r] = m[r * dk + col];
    }
    const FusedRowsFn rows_kernel = fused_rows_kernel();
    ThreadPool::instance().parallel_for(count, kFusedRowGrain, [&](int64_t begin, int64_t end) {
      rows_kernel(transposed, c, dk, full, rows, row_width, index, begin, end, out);
    });
  }
};

void chain_precompose_cpu(const ChainLayout& layout, const float* weights, const float* biases, float* matrices,
                          float* offsets) {
  CpuChainOps ops;
  chain_precompose_plan(ops, layout, weights, biases, matrices, offsets);
}

void chain_forward_cpu(const ChainLayout& layout, const float* matrices, const float* offsets, int64_t batch,
                       int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_forward_plan(ops, layout, matrices, offsets, batch, row_width, rows, row_class, out);
}

void chain_stepwise_forward_cpu(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                                int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_stepwise_forward_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
}

void chain_link_cpu(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                    int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_link_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
}

void chain_backward_cpu(const ChainLayout& layout, const float* weights, const float* biases, const float* matrices,
                        int64_t batch, int64_t row_width, const float* rows, const int32_t* row_class,
                        const float* dout, float* drows, float* dweights, float* dbiases) {
  CpuChainOps ops;
  chain_backward_plan(ops, layout, weights, biases, matrices, batch, row_width, rows, row_class, dout, drows,
                      dweights, dbiases);
}

const KernelRegistration precompose =
    KernelRegistration::of<ChainPrecomposeKernel>(kChainPrecompose, Backend::kCpu, &chain_precompose_cpu);
const KernelRegistration forward =
    KernelRegistration::of<ChainForwardKernel>(kChainForward, Backend::kCpu, &chain_forward_cpu);
const KernelRegistration stepwise =
    KernelRegistration::of<ChainStepwiseForwardKernel>(kChainStepwiseForward, Backend::kCpu,
                                                       &chain_stepwise_forward_cpu);
const KernelRegistration link = KernelRegistration::of<ChainLinkKernel>(kChainLink, Backend::kCpu, &chain_link_cpu);
const KernelRegistration backward =
    KernelRegistration::of<ChainBackwardKernel>(kChainBackward, Backend::kCpu, &chain_backward_cpu);

}  // namespace

}  // namespace mixdim
