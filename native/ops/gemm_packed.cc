// mixdim's own CPU GEMM, in the BLIS/GotoBLAS scheme: op(B) is packed into KC×NR slivers and
// op(A) into MR×KC slivers, and a register-blocked micro-kernel accumulates an MR×NR tile of C
// with one broadcast of A and NR/W vector loads of B per k step, all in registers.
//
//   C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias on every row)
//
// Loops, outer to inner: KC of k → MC rows (packed A block, L2) → NR columns (a B sliver, L1) →
// MR rows (micro-kernel). Threads: tall products split C's rows into ~4 tasks per thread that
// share one packed copy of op(B), each sliver packed by the first task to reach it
// (gemm_row_tasks); short, wide ones split C in 2-D, each block packing its own panels
// (gemm_parallel). Every element of C sums its k in blocks of KC, in ascending order, in the
// same micro-kernel, whatever the split, so results do not depend on the thread count.
//
// Arithmetic-bound. The micro-kernel is picked once at run time (__builtin_cpu_supports), since
// the addon is compiled for baseline x86-64: AVX-512 12×32 (24 zmm accumulators), AVX2+FMA 6×16,
// or a portable 4×16 in plain C++ (set_gemm_builtin_kernel forces a lesser one, for tests).
// n ≤ 4 and m = 1 (matrix-vector shapes, e.g. a Linear layer with one or two outputs) use dot products
// or row combinations (all n columns in one pass over op(A)), and k ≤ 4 combines rows of op(B)
// directly, all without packing.
// Measured on 2 Zen 4 cores (docs/gemm.md): ~100 GFLOP/s on one thread (OpenBLAS 0.3.21: ~100),
// ~155 on two (OpenBLAS ~185) for the MLP shapes.
#include <stdint.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../thread_pool.h"
#include "gemm_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MIXDIM_GEMM_X86 1
#endif

namespace mixdim {

namespace {

// Block sizes (floats). MC is a multiple of every MR, NC of every NR.
// KC·NR·4 bytes of B sliver stay in L1 (32 KB, with NR = 32 that is all of it; smaller KC measured
// no better), MC·KC·4 = 144 KB of packed A in L2 (1 MB on Zen 4).
constexpr int64_t kMC = 144;
constexpr int64_t kKC = 256;
constexpr int64_t kNC = 2048;
// Tasks per thread in the packed path (see gemm_parallel).
constexpr int64_t kTasksPerThread = 4;
// Below this many multiply-adds one thread does the whole product: waking the pool costs more.
constexpr double kSerialMultiplyAdds = 1 << 19;
// The matrix-vector and small-k paths are memory-bound, so a second thread pays off later.
constexpr double kSerialVectorMultiplyAdds = 1 << 17;
// The row-task path shares all of packed op(B) (k·n floats) between threads, up to this size (32 MB).
constexpr double kMaxSharedB = 8.0 * 1024 * 1024;
// Matrix-vector paths: outputs per chunk.
constexpr int64_t kVectorGrain = 256;
// k up to this skips packing: each row of C is a combination of k rows of op(B).
constexpr int64_t kSmallK = 4;
// n up to this runs as n matrix-vector products (e.g. a Linear layer with two outputs, and its
// weight gradient): packing would pad op(B) to NR = 16 or 32 columns and waste most of the work.
constexpr int64_t kNarrowN = 4;
// How much of op(A) the narrow path takes through every column of C at a time: 16 rows of A (32 KB
// at k = 512, L1), or for transA 64 columns of A, the combine's vector width (128 KB at k = 500, L2).
constexpr int64_t kNarrowRows = 16;
constexpr int64_t kNarrowColumns = 64;

// acc = Σ_p a[p·MR + r] · b[p·NR + j]; then c[r·ldc + j] = alpha·acc + beta·c (c unread when
// beta = 0) + bias[j] (when bias is not null), for the whole MR×NR tile.
using MicroFn = void(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                     const float* bias);
// out[i] = Σ_p m[i·ld + p] · x[p] for i in [0, count)
using DotsFn = void(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float* out);
// out[j] = Σ_p x[p] · m[p·ld + j] for j in [0, count), p ascending
using CombineFn = void(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float* out);
// c[j] = alpha · Σ_p x[p] · m[p·ld + j] + beta · c[j] + bias[j], for small len
using SmallKFn = void(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float alpha, float beta,
                      const float* bias, float* c);

struct Isa {
  const char* name;
  int mr;
  int nr;
  MicroFn* micro;
  DotsFn* dots;
  CombineFn* combine;
  SmallKFn* small_k;
};

// ---- shared bodies, inlined into each ISA's wrapper so the compiler vectorises them for it ----

constexpr int kDotLanes = 16;

__attribute__((always_inline)) inline void dots_body(const float* m, int64_t ld, int64_t count, int64_t len,
                                                     const float* x, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    const float* row = m + i * ld;
    float lane[kDotLanes] = {};
    int64_t p = 0;
    for (; p + kDotLanes <= len; p += kDotLanes) {
      for (int l = 0; l < kDotLanes; ++l) lane[l] += row[p + l] * x[p + l];
    }
    for (int l = 0; p < len; ++p, ++l) lane[l] += row[p] * x[p];
    for (int width = kDotLanes / 2; width > 0; width /= 2) {
      for (int l = 0; l < width; ++l) lane[l] += lane[l + width];
    }
    out[i] = lane[0];
  }
}

__attribute__((always_inline)) inline void small_k_body(const float* m, int64_t ld, int64_t count, int64_t len,
                                                        const float* x, float alpha, float beta, const float* bias,
                                                        float* c);

__attribute__((always_inline)) inline void combine_body(const float* m, int64_t ld, int64_t count, int64_t len,
                                                        const float* x, float* out) {
  small_k_body(m, ld, count, len, x, 1.0f, 0.0f, nullptr, out);
}

// c[j] = alpha · Σ_p x[p] · m[p·ld + j] + beta · c[j] (unread when beta = 0) + bias[j], for
// j in [0, count) and a handful of p: each 16 columns sum all p in registers before C is touched.
__attribute__((always_inline)) inline void small_k_body(const float* m, int64_t ld, int64_t count, int64_t len,
                                                        const float* x, float alpha, float beta, const float* bias,
                                                        float* c) {
  constexpr int kWidth = 64;  // 4 zmm, 8 ymm or 16 xmm accumulators: independent FMA chains
  int64_t j = 0;
  for (; j + kWidth <= count; j += kWidth) {
    float acc[kWidth] = {};
    for (int64_t p = 0; p < len; ++p) {
      const float xp = x[p];
      const float* row = m + p * ld + j;
      for (int l = 0; l < kWidth; ++l) acc[l] += xp * row[l];
    }
    float* out = c + j;
    if (beta == 0.0f) {
      for (int l = 0; l < kWidth; ++l) out[l] = alpha * acc[l];
    } else {
      for (int l = 0; l < kWidth; ++l) out[l] = alpha * acc[l] + beta * out[l];
    }
    if (bias != nullptr) {
      for (int l = 0; l < kWidth; ++l) out[l] += bias[j + l];
    }
  }
  for (; j < count; ++j) {
    float acc = 0.0f;
    for (int64_t p = 0; p < len; ++p) acc += x[p] * m[p * ld + j];
    float value = alpha * acc;
    if (beta != 0.0f) value += beta * c[j];
    if (bias != nullptr) value += bias[j];
    c[j] = value;
  }
}

template <int MR, int NR>
__attribute__((always_inline)) inline void micro_body(int64_t kc, const float* a, const float* b, float* c,
                                                      int64_t ldc, float alpha, float beta, const float* bias) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < MR; ++r) {
      const float ar = a[r];
      for (int j = 0; j < NR; ++j) acc[r][j] += ar * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < NR; ++j) {
      float value = alpha * acc[r][j];
      if (beta != 0.0f) value += beta * row[j];
      if (bias != nullptr) value += bias[j];
      row[j] = value;
    }
  }
}

// ---- portable ----

void micro_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta,
                    const float* bias) {
  micro_body<4, 16>(kc, a, b, c, ldc, alpha, beta, bias);
}
void dots_portable(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float* out) {
  dots_body(m, ld, count, len, x, out);
}
void combine_portable(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float* out) {
  combine_body(m, ld, count, len, x, out);
}
void small_k_portable(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float alpha,
                   float beta, const float* bias, float* c) {
  small_k_body(m, ld, count, len, x, alpha, beta, bias, c);
}

#if MIXDIM_GEMM_X86

// ---- AVX2 + FMA: 6×16, 12 ymm accumulators ----

__attribute__((target("avx2,fma"))) void micro_avx2(int64_t kc, const float* a, const float* b, float* c,
                                                    int64_t ldc, float alpha, float beta, const float* bias) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += 16;
  }
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const __m256 bias0 = bias != nullptr ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
  const __m256 bias1 = bias != nullptr ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(va, acc[r][0]);
    __m256 x1 = _mm256_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), x0);
      x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), x1);
    }
    _mm256_storeu_ps(row, _mm256_add_ps(x0, bias0));
    _mm256_storeu_ps(row + 8, _mm256_add_ps(x1, bias1));
  }
}
// R rows at a time, one accumulator each (R independent FMA chains hide the latency, and each
// load of x serves R rows); every row sums in the same order whatever R, so results do not
// depend on where a row falls.
template <int R>
__attribute__((target("avx2,fma"), always_inline)) inline void dots_rows_avx2(const float* m, int64_t ld, int64_t len,
                                                                             const float* x, float* out) {
  __m256 s[R];
  for (int r = 0; r < R; ++r) s[r] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 8 <= len; p += 8) {
    const __m256 xv = _mm256_loadu_ps(x + p);
    for (int r = 0; r < R; ++r) s[r] = _mm256_fmadd_ps(_mm256_loadu_ps(m + r * ld + p), xv, s[r]);
  }
  for (int r = 0; r < R; ++r) {
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, s[r]);
    for (int64_t q = p, l = 0; q < len; ++q, ++l) lanes[l] += m[r * ld + q] * x[q];
    out[r] = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
  }
}
__attribute__((target("avx2,fma"))) void dots_avx2(const float* m, int64_t ld, int64_t count, int64_t len,
                                                   const float* x, float* out) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) dots_rows_avx2<8>(m + i * ld, ld, len, x, out + i);
  for (; i < count; ++i) dots_rows_avx2<1>(m + i * ld, ld, len, x, out + i);
}
__attribute__((target("avx2,fma"))) void combine_avx2(const float* m, int64_t ld, int64_t count, int64_t len,
                                                      const float* x, float* out) {
  combine_body(m, ld, count, len, x, out);
}
__attribute__((target("avx2,fma"))) void small_k_avx2(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float alpha,
                   float beta, const float* bias, float* c) {
  small_k_body(m, ld, count, len, x, alpha, beta, bias, c);
}

// ---- AVX-512: 12×32, 24 zmm accumulators, B rows as two zmm loads, A as embedded broadcasts ----

__attribute__((target("avx512f"))) void micro_avx512(int64_t kc, const float* a, const float* b, float* c,
                                                     int64_t ldc, float alpha, float beta, const float* bias) {
  constexpr int MR = 12;
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += 32;
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const __m512 bias0 = bias != nullptr ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias != nullptr ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(va, acc[r][0]);
    __m512 x1 = _mm512_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      x0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), x0);
      x1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), x1);
    }
    _mm512_storeu_ps(row, _mm512_add_ps(x0, bias0));
    _mm512_storeu_ps(row + 16, _mm512_add_ps(x1, bias1));
  }
}
template <int R>
__attribute__((target("avx512f"), always_inline)) inline void dots_rows_avx512(const float* m, int64_t ld, int64_t len,
                                                                              const float* x, float* out) {
  __m512 s[R];
  for (int r = 0; r < R; ++r) s[r] = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 16 <= len; p += 16) {
    const __m512 xv = _mm512_loadu_ps(x + p);
    for (int r = 0; r < R; ++r) s[r] = _mm512_fmadd_ps(_mm512_loadu_ps(m + r * ld + p), xv, s[r]);
  }
  if (p < len) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (len - p)) - 1u);
    const __m512 xv = _mm512_maskz_loadu_ps(tail, x + p);
    for (int r = 0; r < R; ++r) s[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, m + r * ld + p), xv, s[r]);
  }
  for (int r = 0; r < R; ++r) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, s[r]);
    for (int width = 8; width > 0; width /= 2) {
      for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
    }
    out[r] = lanes[0];
  }
}
__attribute__((target("avx512f"))) void dots_avx512(const float* m, int64_t ld, int64_t count, int64_t len,
                                                    const float* x, float* out) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) dots_rows_avx512<8>(m + i * ld, ld, len, x, out + i);
  for (; i < count; ++i) dots_rows_avx512<1>(m + i * ld, ld, len, x, out + i);
}
__attribute__((target("avx512f"))) void combine_avx512(const float* m, int64_t ld, int64_t count, int64_t len,
                                                       const float* x, float* out) {
  combine_body(m, ld, count, len, x, out);
}
__attribute__((target("avx512f"))) void small_k_avx512(const float* m, int64_t ld, int64_t count, int64_t len, const float* x, float alpha,
                   float beta, const float* bias, float* c) {
  small_k_body(m, ld, count, len, x, alpha, beta, bias, c);
}

#endif  // MIXDIM_GEMM_X86

// The micro-kernels this CPU can run, best first; the portable one is always last.
struct IsaTable {
  Isa entries[3];
  int count = 0;
};

const IsaTable& supported() {
  static const IsaTable table = [] {
    IsaTable t;
#if MIXDIM_GEMM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
      t.entries[t.count++] = Isa{"avx512f", 12, 32, &micro_avx512, &dots_avx512, &combine_avx512, &small_k_avx512};
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      t.entries[t.count++] = Isa{"avx2", 6, 16, &micro_avx2, &dots_avx2, &combine_avx2, &small_k_avx2};
    }
#endif
    t.entries[t.count++] = Isa{"portable", 4, 16, &micro_portable, &dots_portable, &combine_portable, &small_k_portable};
    return t;
  }();
  return table;
}

std::atomic<const Isa*> selected{nullptr};

const Isa& isa() {
  const Isa* current = selected.load(std::memory_order_acquire);
  return current != nullptr ? *current : supported().entries[0];
}

// Packing buffers, one pair per thread, 64-byte aligned and grown on demand.
struct PackBuffer {
  std::unique_ptr<float, decltype(&free)> data{nullptr, &free};
  int64_t capacity = 0;

  float* reserve(int64_t count) {
    if (count > capacity) {
      const size_t bytes = (static_cast<size_t>(count) * sizeof(float) + 63) / 64 * 64;
      data.reset(static_cast<float*>(aligned_alloc(64, bytes)));
      if (!data) throw std::bad_alloc();
      capacity = count;
    }
    return data.get();
  }
};

// dst[p·width + r] = src[r·ld + p] for r < rows ≤ width and p < kc, and 0 for rows ≤ r < width:
// `rows` rows of a row-major matrix as one sliver, p-major. The packs of op(A) without transA and
// of op(B) with transB are this transpose.
using TransposeFn = void(const float* src, int64_t ld, int64_t rows, int64_t kc, int64_t width, float* dst);

__attribute__((always_inline)) inline void transpose_tail(const float* src, int64_t ld, int64_t r0, int64_t rows,
                                                          int64_t p0, int64_t kc, int64_t width, float* dst) {
  for (int64_t r = r0; r < rows; ++r) {
    for (int64_t p = p0; p < kc; ++p) dst[p * width + r] = src[r * ld + p];
  }
}

void zero_rows(int64_t rows, int64_t kc, int64_t width, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t r = rows; r < width; ++r) dst[p * width + r] = 0.0f;
  }
}

void transpose_portable(const float* src, int64_t ld, int64_t rows, int64_t kc, int64_t width, float* dst) {
  transpose_tail(src, ld, 0, rows, 0, kc, width, dst);
  zero_rows(rows, kc, width, dst);
}

#if MIXDIM_GEMM_X86
// 8×8 tiles through registers (unpack, shuffle, lane permute): one load and one store per row of a
// tile where the scalar loop stored each float to its own cache line.
__attribute__((target("avx2"))) void transpose_avx2(const float* src, int64_t ld, int64_t rows, int64_t kc,
                                                    int64_t width, float* dst) {
  int64_t r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {
    int64_t p0 = 0;
    for (; p0 + 8 <= kc; p0 += 8) {
      const float* in = src + r0 * ld + p0;
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * ld);
      __m256 t[8];
      for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
      }
      __m256 u[8];
      for (int i = 0; i < 2; ++i) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      float* out = dst + p0 * width + r0;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(out + i * width, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(out + (i + 4) * width, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
      }
    }
    transpose_tail(src, ld, r0, r0 + 8, p0, kc, width, dst);
  }
  transpose_tail(src, ld, r0, rows, 0, kc, width, dst);
  zero_rows(rows, kc, width, dst);
}
#endif

TransposeFn* transpose_kernel() {
#if MIXDIM_GEMM_X86
  static TransposeFn* const chosen = __builtin_cpu_supports("avx2") ? &transpose_avx2 : &transpose_portable;
  return chosen;
#else
  return &transpose_portable;
#endif
}

// op(A)[i0 : i0+mc, p0 : p0+kc] as MR-row slivers, each stored p-major (MR values per p), zero-padded.
void pack_a(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr,
            float* out) {
  TransposeFn* const transpose = transpose_kernel();
  for (int64_t s = 0; s < mc; s += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - s);
    float* dst = out + s * kc;
    if (!trans_a) {
      transpose(a + (i0 + s) * lda + p0, lda, rows, kc, mr, dst);
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a + (p0 + p) * lda + i0 + s;
        float* col = dst + p * mr;
        for (int64_t r = 0; r < rows; ++r) col[r] = src[r];
        for (int64_t r = rows; r < mr; ++r) col[r] = 0.0f;
      }
    }
  }
}

// op(B)[p0 : p0+kc, j0 : j0+nc] as NR-column slivers, each stored p-major (NR values per p), zero-padded.
void pack_b(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
            float* out) {
  TransposeFn* const transpose = transpose_kernel();
  for (int64_t s = 0; s < nc; s += nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - s);
    float* dst = out + s * kc;
    if (!trans_b) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + s;
        float* row = dst + p * nr;
        for (int64_t j = 0; j < cols; ++j) row[j] = src[j];
        for (int64_t j = cols; j < nr; ++j) row[j] = 0.0f;
      }
    } else {
      transpose(b + (j0 + s) * ldb + p0, ldb, cols, kc, nr, dst);
    }
  }
}

struct Problem {
  bool trans_a, trans_b;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
  const float* bias;
};

// C[r0 : r1, c0 : c1] on one thread; r0 is a multiple of MR and c0 of NR.
void gemm_block(const Problem& q, const Isa& isa, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  thread_local PackBuffer a_buffer;
  thread_local PackBuffer b_buffer;
  const int mr = isa.mr;
  const int nr = isa.nr;
  const int64_t nc_max = std::min<int64_t>(kNC, (c1 - c0 + nr - 1) / nr * nr);
  const int64_t kc_max = std::min<int64_t>(kKC, q.k);
  float* a_pack = a_buffer.reserve(kMC * kc_max);
  float* b_pack = b_buffer.reserve(nc_max * kc_max);
  alignas(64) float tile[16 * 32];
  for (int64_t jc = c0; jc < c1; jc += kNC) {
    const int64_t nc = std::min(kNC, c1 - jc);
    for (int64_t pc = 0; pc < q.k; pc += kKC) {
      const int64_t kc = std::min(kKC, q.k - pc);
      const float beta = pc == 0 ? q.beta : 1.0f;
      const float* bias = pc + kc == q.k ? q.bias : nullptr;
      pack_b(q.trans_b, q.b, q.ldb, pc, kc, jc, nc, nr, b_pack);
      for (int64_t ic = r0; ic < r1; ic += kMC) {
        const int64_t mc = std::min(kMC, r1 - ic);
        pack_a(q.trans_a, q.a, q.lda, ic, mc, pc, kc, mr, a_pack);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t cols = std::min<int64_t>(nr, nc - jr);
          const float* b_sliver = b_pack + jr * kc;
          const float* tile_bias = bias != nullptr ? bias + jc + jr : nullptr;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t rows = std::min<int64_t>(mr, mc - ir);
            float* c_tile = q.c + (ic + ir) * q.ldc + jc + jr;
            const float* a_sliver = a_pack + ir * kc;
            if (rows == mr && cols == nr) {
              isa.micro(kc, a_sliver, b_sliver, c_tile, q.ldc, q.alpha, beta, tile_bias);
              continue;
            }
            // An edge tile: the full tile into scratch, then only the rows and columns that exist.
            isa.micro(kc, a_sliver, b_sliver, tile, nr, 1.0f, 0.0f, nullptr);
            for (int64_t r = 0; r < rows; ++r) {
              float* row = c_tile + r * q.ldc;
              for (int64_t j = 0; j < cols; ++j) {
                float value = q.alpha * tile[r * nr + j];
                if (beta != 0.0f) value += beta * row[j];
                if (tile_bias != nullptr) value += tile_bias[j];
                row[j] = value;
              }
            }
          }
        }
      }
    }
  }
}

// All of op(B), packed once per call and shared by the row tasks of gemm_row_tasks: KC-blocks of
// NR-slivers, each packed by the first task that needs it (state 0 → 1 packing → 2 ready).
struct SharedB {
  float* data;
  std::atomic<uint8_t>* state;
  int64_t slivers;  // per KC-block
  int64_t padded_n;

  const float* sliver(const Problem& q, int nr, int64_t pc, int64_t kc, int64_t s) {
    float* out = data + pc * padded_n + s * nr * kc;
    std::atomic<uint8_t>& st = state[(pc / kKC) * slivers + s];
    if (st.load(std::memory_order_acquire) == 2) return out;
    uint8_t expected = 0;
    if (st.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      pack_b(q.trans_b, q.b, q.ldb, pc, kc, s * nr, std::min<int64_t>(nr, q.n - s * nr), nr, out);
      st.store(2, std::memory_order_release);
    } else {
      while (st.load(std::memory_order_acquire) != 2) std::this_thread::yield();
    }
    return out;
  }
};

// C[r0 : r1, :] on one thread, reading B from the shared panel. Tasks start at different slivers
// (first_sliver) so that they pack different ones at the same time.
void gemm_rows(const Problem& q, const Isa& isa, SharedB& shared, int64_t r0, int64_t r1, int64_t first_sliver) {
  thread_local PackBuffer a_buffer;
  const int mr = isa.mr;
  const int nr = isa.nr;
  float* a_pack = a_buffer.reserve(kMC * std::min<int64_t>(kKC, q.k));
  alignas(64) float tile[16 * 32];
  for (int64_t pc = 0; pc < q.k; pc += kKC) {
    const int64_t kc = std::min(kKC, q.k - pc);
    const float beta = pc == 0 ? q.beta : 1.0f;
    const float* bias = pc + kc == q.k ? q.bias : nullptr;
    for (int64_t ic = r0; ic < r1; ic += kMC) {
      const int64_t mc = std::min(kMC, r1 - ic);
      pack_a(q.trans_a, q.a, q.lda, ic, mc, pc, kc, mr, a_pack);
      for (int64_t t = 0; t < shared.slivers; ++t) {
        const int64_t s = (first_sliver + t) % shared.slivers;
        const float* b_sliver = shared.sliver(q, nr, pc, kc, s);
        const int64_t jr = s * nr;
        const int64_t cols = std::min<int64_t>(nr, q.n - jr);
        const float* tile_bias = bias != nullptr ? bias + jr : nullptr;
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const int64_t rows = std::min<int64_t>(mr, mc - ir);
          float* c_tile = q.c + (ic + ir) * q.ldc + jr;
          const float* a_sliver = a_pack + ir * kc;
          if (rows == mr && cols == nr) {
            isa.micro(kc, a_sliver, b_sliver, c_tile, q.ldc, q.alpha, beta, tile_bias);
            continue;
          }
          isa.micro(kc, a_sliver, b_sliver, tile, nr, 1.0f, 0.0f, nullptr);
          for (int64_t r = 0; r < rows; ++r) {
            float* row = c_tile + r * q.ldc;
            for (int64_t j = 0; j < cols; ++j) {
              float value = q.alpha * tile[r * nr + j];
              if (beta != 0.0f) value += beta * row[j];
              if (tile_bias != nullptr) value += tile_bias[j];
              row[j] = value;
            }
          }
        }
      }
    }
  }
}

// Rows of C split into `tasks` blocks over the pool, B packed once and shared: no packing is
// repeated, unlike the 2-D split below, which repacks B per row block and A per column block.
void gemm_row_tasks(const Problem& q, const Isa& isa, int64_t tasks) {
  thread_local PackBuffer shared_buffer;
  const int64_t row_slivers = (q.m + isa.mr - 1) / isa.mr;
  SharedB shared;
  shared.slivers = (q.n + isa.nr - 1) / isa.nr;
  shared.padded_n = shared.slivers * isa.nr;
  shared.data = shared_buffer.reserve(q.k * shared.padded_n);
  const int64_t blocks = (q.k + kKC - 1) / kKC;
  std::unique_ptr<std::atomic<uint8_t>[]> state(new std::atomic<uint8_t>[blocks * shared.slivers]);
  for (int64_t i = 0; i < blocks * shared.slivers; ++i) state[i].store(0, std::memory_order_relaxed);
  shared.state = state.get();
  ThreadPool::instance().parallel_for(tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t r0 = row_slivers * t / tasks * isa.mr;
      const int64_t r1 = std::min(q.m, row_slivers * (t + 1) / tasks * isa.mr);
      if (r0 < r1) gemm_rows(q, isa, shared, r0, r1, shared.slivers * t / tasks);
    }
  });
}

// Splits C into parts_r × parts_c blocks, about kTasksPerThread per thread so that a thread the OS
// wakes late still finds work, choosing the split that packs least: every row block packs all of
// its columns' B (k·n floats per row block), every column block all of its rows' A (m·k).
void gemm_parallel(const Problem& q, const Isa& isa) {
  ThreadPool& pool = ThreadPool::instance();
  const int64_t row_slivers = (q.m + isa.mr - 1) / isa.mr;
  const int64_t col_slivers = (q.n + isa.nr - 1) / isa.nr;
  const double multiply_adds = static_cast<double>(q.m) * static_cast<double>(q.n) * static_cast<double>(q.k);
  const int64_t threads = multiply_adds < kSerialMultiplyAdds ? 1 : pool.threads();
  const int64_t wanted = threads == 1 ? 1 : kTasksPerThread * threads;
  const double shared_floats = static_cast<double>(q.k) * static_cast<double>(col_slivers * isa.nr);
  if (threads > 1 && row_slivers >= wanted && shared_floats <= kMaxSharedB) {
    gemm_row_tasks(q, isa, wanted);
    return;
  }
  int64_t parts_r = 1;
  int64_t parts_c = 1;
  double best = -1.0;
  for (int64_t r = 1; r <= std::min(wanted, row_slivers); ++r) {
    const int64_t cpart = std::min((wanted + r - 1) / r, col_slivers);
    const double tasks = static_cast<double>(r * cpart);
    // Redundant packing per task, plus a penalty for falling short of the wanted task count.
    const double packing = (static_cast<double>(r) * q.n + static_cast<double>(cpart) * q.m) *
                           (tasks < wanted ? static_cast<double>(wanted) / tasks : 1.0);
    if (best < 0 || packing < best) {
      best = packing;
      parts_r = r;
      parts_c = cpart;
    }
  }
  const int64_t tasks = parts_r * parts_c;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t pr = t / parts_c;
      const int64_t pc = t % parts_c;
      const int64_t r0 = row_slivers * pr / parts_r * isa.mr;
      const int64_t r1 = std::min(q.m, row_slivers * (pr + 1) / parts_r * isa.mr);
      const int64_t c0 = col_slivers * pc / parts_c * isa.nr;
      const int64_t c1 = std::min(q.n, col_slivers * (pc + 1) / parts_c * isa.nr);
      if (r0 < r1 && c0 < c1) gemm_block(q, isa, r0, r1, c0, c1);
    }
  };
  if (tasks == 1) {
    run(0, 1);
  } else {
    pool.parallel_for(tasks, 1, run);
  }
}

// out[i·stride] = alpha·acc[i] + beta·out (unread when beta = 0) + bias
void finish_vector(const float* acc, int64_t count, float alpha, float beta, float* out, int64_t stride,
                   const float* bias, int64_t bias_stride) {
  for (int64_t i = 0; i < count; ++i) {
    float value = alpha * acc[i];
    if (beta != 0.0f) value += beta * out[i * stride];
    if (bias != nullptr) value += bias[i * bias_stride];
    out[i * stride] = value;
  }
}

// Outputs per parallel chunk: all of them (one thread) for small products.
int64_t vector_grain(const Problem& q, int64_t outputs) {
  const double multiply_adds = static_cast<double>(q.m) * static_cast<double>(q.n) * static_cast<double>(q.k);
  return multiply_adds < kSerialVectorMultiplyAdds ? outputs : kVectorGrain;
}

// n ≤ kNarrowN (a Linear layer with one or two outputs, and its weight gradient): column j of C is
// alpha · op(A) · op(B)[:, j] + beta · C[:, j] + bias[j], a matrix-vector product per column, all of
// them in one pass over op(A): each few rows of A (columns, for transA) serve every column of C
// while they are in L1 or L2, where one product per column read A from memory n times.
void gemm_narrow(const Problem& q, const Isa& isa) {
  // op(B)'s columns, each contiguous: column j at x + j·k.
  std::unique_ptr<float[]> x(new float[q.n * q.k]);
  for (int64_t j = 0; j < q.n; ++j) {
    for (int64_t p = 0; p < q.k; ++p) x[j * q.k + p] = q.trans_b ? q.b[j * q.ldb + p] : q.b[p * q.ldb + j];
  }
  ThreadPool::instance().parallel_for(q.m, vector_grain(q, q.m), [&](int64_t begin, int64_t end) {
    float acc[kNarrowN][kVectorGrain];
    for (int64_t i0 = begin; i0 < end; i0 += kVectorGrain) {
      const int64_t count = std::min(kVectorGrain, end - i0);
      const int64_t block = q.trans_a ? kNarrowColumns : kNarrowRows;
      for (int64_t r = 0; r < count; r += block) {
        const int64_t rows = std::min(block, count - r);
        for (int64_t j = 0; j < q.n; ++j) {
          if (!q.trans_a) {
            isa.dots(q.a + (i0 + r) * q.lda, q.lda, rows, q.k, x.get() + j * q.k, acc[j] + r);
          } else {
            isa.combine(q.a + i0 + r, q.lda, rows, q.k, x.get() + j * q.k, acc[j] + r);
          }
        }
      }
      for (int64_t j = 0; j < q.n; ++j) {
        finish_vector(acc[j], count, q.alpha, q.beta, q.c + i0 * q.ldc + j, q.ldc,
                      q.bias != nullptr ? q.bias + j : nullptr, 0);
      }
    }
  });
}

// m = 1: C[0, :] = alpha · x · op(B) + beta · C[0, :] + bias, with x = op(A)[0, :].
void gemm_row(const Problem& q, const Isa& isa) {
  std::unique_ptr<float[]> x_copy;
  const float* x = q.a;
  if (q.trans_a && q.lda != 1) {  // op(A)[0, :] strided: gather it once
    x_copy.reset(new float[q.k]);
    for (int64_t p = 0; p < q.k; ++p) x_copy[p] = q.a[p * q.lda];
    x = x_copy.get();
  }
  ThreadPool::instance().parallel_for(q.n, vector_grain(q, q.n), [&](int64_t begin, int64_t end) {
    float acc[kVectorGrain];
    for (int64_t j0 = begin; j0 < end; j0 += kVectorGrain) {
      const int64_t count = std::min(kVectorGrain, end - j0);
      if (q.trans_b) {
        isa.dots(q.b + j0 * q.ldb, q.ldb, count, q.k, x, acc);
      } else {
        isa.combine(q.b + j0, q.ldb, count, q.k, x, acc);
      }
      finish_vector(acc, count, q.alpha, q.beta, q.c + j0, 1, q.bias != nullptr ? q.bias + j0 : nullptr, 1);
    }
  });
}

// k ≤ kSmallK (e.g. the input gradient of a Linear layer with one output, k = 1): row i of C is
// alpha · Σ_p op(A)[i, p] · op(B)[p, :], combined straight from op(B)'s rows, without packing.
void gemm_small_k(const Problem& q, const Isa& isa) {
  std::unique_ptr<float[]> b_rows;
  const float* b = q.b;
  int64_t ldb = q.ldb;
  if (q.trans_b) {  // op(B) as k contiguous rows
    b_rows.reset(new float[q.k * q.n]);
    for (int64_t p = 0; p < q.k; ++p) {
      for (int64_t j = 0; j < q.n; ++j) b_rows[p * q.n + j] = q.b[j * q.ldb + p];
    }
    b = b_rows.get();
    ldb = q.n;
  }
  const int64_t grain = std::max<int64_t>(1, vector_grain(q, q.m * q.n) / q.n);
  ThreadPool::instance().parallel_for(q.m, grain, [&](int64_t begin, int64_t end) {
    float x[kSmallK];
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t p = 0; p < q.k; ++p) x[p] = q.trans_a ? q.a[p * q.lda + i] : q.a[i * q.lda + p];
      isa.small_k(b, ldb, q.n, q.k, x, q.alpha, q.beta, q.bias, q.c + i * q.ldc);
    }
  });
}

}  // namespace

const char* gemm_builtin_kernel() { return isa().name; }

std::vector<std::string> gemm_builtin_kernels() {
  std::vector<std::string> names;
  const IsaTable& table = supported();
  for (int i = 0; i < table.count; ++i) names.emplace_back(table.entries[i].name);
  return names;
}

bool set_gemm_builtin_kernel(const std::string& name) {
  const IsaTable& table = supported();
  for (int i = 0; i < table.count; ++i) {
    if (name == table.entries[i].name) {
      selected.store(&table.entries[i], std::memory_order_release);
      return true;
    }
  }
  return false;
}

void gemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  if (m == 0 || n == 0) return;
  const Problem q{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias};
  if (k == 0 || alpha == 0.0f) {  // C = beta·C + bias, A and B unread
    ThreadPool::instance().parallel_for(m, std::max<int64_t>(1, (1 << 14) / n), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float* row = c + i * ldc;
        for (int64_t j = 0; j < n; ++j) {
          float value = beta == 0.0f ? 0.0f : beta * row[j];
          if (bias != nullptr) value += bias[j];
          row[j] = value;
        }
      }
    });
    return;
  }
  const Isa& chosen = isa();
  if (n <= kNarrowN) {
    gemm_narrow(q, chosen);
  } else if (m == 1) {
    gemm_row(q, chosen);
  } else if (k <= kSmallK) {
    gemm_small_k(q, chosen);
  } else {
    gemm_parallel(q, chosen);
  }
}

}  // namespace mixdim
