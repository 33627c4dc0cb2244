// OpenBLAS's cblas_sgemm, loaded with dlopen at first use so that the addon neither links against
// nor needs OpenBLAS: where libopenblas.so.0 is missing, the builtin GEMM runs and nothing fails.
// glibc ≥ 2.34 has dlopen in libc itself, so no -ldl is needed (binding.gyp has none).
#include <limits.h>

#include <atomic>
#include <mutex>
#include <string>

#include "../thread_pool.h"
#include "gemm_cpu.h"

#if defined(__linux__) || defined(__APPLE__)
#include <dlfcn.h>
#define MIXDIM_HAS_DLOPEN 1
#endif

namespace mixdim {

namespace {

// cblas.h's enum values, fixed by the CBLAS standard.
constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
constexpr int kCblasTrans = 112;

// blasint is int in the LP64 libopenblas.so.0 (the ILP64 build is libopenblas64.so.0).
using CblasSgemm = void(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a,
                        int lda, const float* b, int ldb, float beta, float* c, int ldc);
using SetThreads = void(int threads);
using CoreName = char*();

struct OpenBlas {
  CblasSgemm* sgemm = nullptr;
  SetThreads* set_threads = nullptr;
  CoreName* core_name = nullptr;
  std::string error;
  std::atomic<int> threads{0};  // what OpenBLAS was last told, to follow ThreadPool::set_threads
};

#if defined(__APPLE__)
constexpr const char* kLibraryNames[] = {"libopenblas.0.dylib", "libopenblas.dylib"};
#else
constexpr const char* kLibraryNames[] = {"libopenblas.so.0", "libopenblas.so"};
#endif

OpenBlas& library() {
  static OpenBlas blas;
  static std::once_flag once;
  std::call_once(once, [] {
#if MIXDIM_HAS_DLOPEN
    void* handle = nullptr;
    for (const char* name : kLibraryNames) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle != nullptr) break;
    }
    if (handle == nullptr) {
      const char* why = dlerror();
      blas.error = std::string("dlopen(") + kLibraryNames[0] + ") failed: " + (why != nullptr ? why : "not found");
      return;
    }
    blas.sgemm = reinterpret_cast<CblasSgemm*>(dlsym(handle, "cblas_sgemm"));
    blas.set_threads = reinterpret_cast<SetThreads*>(dlsym(handle, "openblas_set_num_threads"));
    blas.core_name = reinterpret_cast<CoreName*>(dlsym(handle, "openblas_get_corename"));
    if (blas.sgemm == nullptr) blas.error = "libopenblas has no cblas_sgemm";
    // The handle stays open for the life of the process: the pointers above live in it.
#else
    blas.error = "dlopen is not available on this platform";
#endif
  });
  return blas;
}

}  // namespace

bool openblas_available(std::string* why) {
  OpenBlas& blas = library();
  if (why != nullptr) *why = blas.error;
  return blas.sgemm != nullptr;
}

std::string openblas_core_name() {
  OpenBlas& blas = library();
  if (blas.core_name == nullptr) return "";
  const char* name = blas.core_name();
  return name != nullptr ? name : "";
}

bool gemm_openblas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  OpenBlas& blas = library();
  if (blas.sgemm == nullptr) return false;
  for (const int64_t extent : {m, n, k, lda, ldb, ldc}) {
    if (extent > INT_MAX) return false;  // beyond LP64 cblas: the caller falls back to the builtin kernel
  }
  const int threads = ThreadPool::instance().threads();
  if (blas.set_threads != nullptr && blas.threads.exchange(threads) != threads) blas.set_threads(threads);
  // cblas wants lda ≥ max(1, columns) even when a dimension is 0; the binding guarantees it otherwise.
  blas.sgemm(kCblasRowMajor, trans_a ? kCblasTrans : kCblasNoTrans, trans_b ? kCblasTrans : kCblasNoTrans,
             static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
             static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  if (bias != nullptr) {
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
    }
  }
  return true;
}

}  // namespace mixdim
