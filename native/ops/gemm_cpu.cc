// GEMM on the CPU: rows of C split over the thread pool; each row accumulates
// alpha·a_ip·B[p,:] over p, which streams B's rows and vectorises.
#include <vector>

#include "../kernel_registry.h"
#include "../thread_pool.h"
#include "gemm.h"

namespace mixdim {

namespace {

void gemm_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias) {
  // With B transposed, copy it once so the inner loop reads rows of op(B) contiguously.
  std::vector<float> b_rows;
  if (trans_b) {
    b_rows.resize(static_cast<size_t>(k * n));
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t j = 0; j < n; ++j) b_rows[p * n + j] = b[j * ldb + p];
    }
    b = b_rows.data();
    ldb = n;
  }
  ThreadPool::instance().parallel_for(m, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
      for (int64_t p = 0; p < k; ++p) {
        const float scale = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
        const float* b_row = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) row[j] += scale * b_row[j];
      }
      if (bias != nullptr) {
        for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
      }
    }
  });
}

const KernelRegistration registration = KernelRegistration::of<GemmKernel>(kGemm, Backend::kCpu, &gemm_cpu);

}  // namespace

}  // namespace mixdim
