// The CPU GEMM's two implementations and the switch between them.
//
// builtin: mixdim's packed, register-blocked kernel (native/ops/gemm_packed.cc), always present.
// openblas: cblas_sgemm from libopenblas.so.0, found with dlopen at first use, so the addon never
//   links against it (native/ops/openblas_loader.cc).
// The registered CPU kGemm calls the selected one. The default is `builtin` (see docs/gemm.md for
// the measurements behind it); MIXDIM_BLAS=openblas|builtin sets the starting choice and
// set_gemm_cpu_backend changes it at run time.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace mixdim {

void gemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias);

// The builtin GEMM's micro-kernels this CPU supports, best first ("avx512f", "avx2", "portable"),
// the one in use (the best, unless set), and a way to force another; false when unsupported here.
std::vector<std::string> gemm_builtin_kernels();
const char* gemm_builtin_kernel();
bool set_gemm_builtin_kernel(const std::string& name);

enum class GemmCpuBackend { kBuiltin = 0, kOpenBlas = 1 };

GemmCpuBackend gemm_cpu_backend();
// Throws std::runtime_error (naming the dlopen/dlsym failure) when OpenBLAS is asked for and absent.
void set_gemm_cpu_backend(GemmCpuBackend backend);

// C = alpha·op(A)·op(B) + beta·C (+ bias) through OpenBLAS; false when it could not be loaded.
bool gemm_openblas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias);
// Whether libopenblas.so.0 loads here; when not, `why` says what failed.
bool openblas_available(std::string* why = nullptr);
// OpenBLAS's name for the kernels it picked on this CPU (openblas_get_corename), or "".
std::string openblas_core_name();

}  // namespace mixdim
