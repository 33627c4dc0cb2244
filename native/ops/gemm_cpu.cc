// The CPU registrations of kGemm and kBiasGradient. kGemm calls the builtin packed kernel
// (gemm_packed.cc) or OpenBLAS (openblas_loader.cc), whichever is selected: builtin by default,
// MIXDIM_BLAS=openblas|builtin at start-up, set_gemm_cpu_backend later.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

#include "../kernel_registry.h"
#include "../kernels/gemm_bias.h"
#include "../thread_pool.h"
#include "gemm.h"
#include "gemm_cpu.h"

namespace mixdim {

namespace {

GemmCpuBackend initial_backend() {
  const char* env = std::getenv("MIXDIM_BLAS");
  // Asked for but absent: the builtin kernel runs, as it would where OpenBLAS was never installed.
  if (env != nullptr && std::string(env) == "openblas" && openblas_available()) return GemmCpuBackend::kOpenBlas;
  return GemmCpuBackend::kBuiltin;
}

std::atomic<int>& backend_state() {
  static std::atomic<int> state{static_cast<int>(initial_backend())};
  return state;
}

void gemm_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  if (m == 0 || n == 0) return;
  // k = 0 and alpha = 0 keep one meaning on both paths (C = beta·C + bias, A and B unread).
  const bool trivial = k == 0 || alpha == 0.0f;
  if (!trivial && gemm_cpu_backend() == GemmCpuBackend::kOpenBlas &&
      gemm_openblas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias)) {
    return;
  }
  gemm_builtin(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
}

constexpr int64_t kBiasColumnBlock = 64;

// Each column block keeps kBiasGradientLanes partial rows: row i adds into partial i mod 8.
void bias_gradient_cpu(const float* dy, int64_t rows, int64_t cols, float* db) {
  const int64_t blocks = (cols + kBiasColumnBlock - 1) / kBiasColumnBlock;
  ThreadPool::instance().parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t j0 = block * kBiasColumnBlock;
      const int64_t width = std::min(kBiasColumnBlock, cols - j0);
      float partial[kBiasGradientLanes][kBiasColumnBlock] = {};
      for (int64_t i = 0; i < rows; ++i) {
        const float* row = dy + i * cols + j0;
        float* lane = partial[i % kBiasGradientLanes];
        for (int64_t j = 0; j < width; ++j) lane[j] += row[j];
      }
      for (int64_t j = 0; j < width; ++j) db[j0 + j] = bias_gradient_combine(&partial[0][j], kBiasColumnBlock);
    }
  });
}

const KernelRegistration gemm = KernelRegistration::of<GemmKernel>(kGemm, Backend::kCpu, &gemm_cpu);
const KernelRegistration bias_gradient =
    KernelRegistration::of<BiasGradientKernel>(kBiasGradient, Backend::kCpu, &bias_gradient_cpu);

}  // namespace

GemmCpuBackend gemm_cpu_backend() { return static_cast<GemmCpuBackend>(backend_state().load()); }

void set_gemm_cpu_backend(GemmCpuBackend backend) {
  std::string why;
  if (backend == GemmCpuBackend::kOpenBlas && !openblas_available(&why)) {
    throw std::runtime_error("OpenBLAS is not available: " + why);
  }
  backend_state().store(static_cast<int>(backend));
}

}  // namespace mixdim
