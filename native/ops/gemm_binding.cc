// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias | null),
// biasGradient(dy, rows, cols, db), and the CPU GEMM switch: gemmCpuBackend() and
// setGemmCpuBackend(backend, kernel?). Every matrix is row-major with a row stride (ld) of at
// least its column count, and must hold its last element; c must not overlap a, b or bias.
#include <stdint.h>

#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "gemm.h"
#include "gemm_cpu.h"

namespace mixdim {

namespace {

// 2^40 elements per dimension: far beyond any real matrix, far from int64 overflow in rows·ld.
constexpr int64_t kMaxExtent = int64_t{1} << 40;

// Elements a rows × cols matrix with row stride ld spans: (rows − 1)·ld + cols, or 0 when empty.
int64_t matrix_span(const KernelArray& array, int64_t rows, int64_t cols, int64_t ld, const char* name,
                    const char* ld_name) {
  if (ld < (cols > 1 ? cols : 1)) {
    throw std::range_error(std::string(ld_name) + " = " + std::to_string(ld) + " must be at least " +
                           std::to_string(cols > 1 ? cols : 1) + " (" + name + "'s columns)");
  }
  if (rows == 0 || cols == 0) return 0;
  const double span = static_cast<double>(rows - 1) * static_cast<double>(ld) + static_cast<double>(cols);
  if (span > static_cast<double>(array.length)) {
    throw std::range_error(std::string(name) + " has length " + std::to_string(array.length) + " but a " +
                           std::to_string(rows) + "×" + std::to_string(cols) + " matrix with row stride " +
                           std::to_string(ld) + " needs " + std::to_string(static_cast<int64_t>(span)));
  }
  return (rows - 1) * ld + cols;
}

void expect_disjoint(const KernelArray& out, int64_t out_span, const KernelArray& in, int64_t in_span,
                     const char* out_name, const char* in_name) {
  const char* o = static_cast<const char*>(out.data);
  const char* i = static_cast<const char*>(in.data);
  if (out_span > 0 && in_span > 0 && o < i + in_span * 4 && i < o + out_span * 4) {
    throw std::range_error(std::string(out_name) + " overlaps " + in_name + ": the output must be separate memory");
  }
}

Napi::Value gemm_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const bool trans_a = boolean_argument(info[0], "transA");
    const bool trans_b = boolean_argument(info[1], "transB");
    const int64_t m = integer_in_range(info[2], "m", 0, kMaxExtent);
    const int64_t n = integer_in_range(info[3], "n", 0, kMaxExtent);
    const int64_t k = integer_in_range(info[4], "k", 0, kMaxExtent);
    const float alpha = static_cast<float>(finite_number(info[5], "alpha"));
    const int device = argument_device(info[6], "a");
    const KernelArray a = kernel_float32(info[6], "a", device);
    const int64_t lda = integer_in_range(info[7], "lda", 1, kMaxExtent);
    const KernelArray b = kernel_float32(info[8], "b", device);
    const int64_t ldb = integer_in_range(info[9], "ldb", 1, kMaxExtent);
    const float beta = static_cast<float>(finite_number(info[10], "beta"));
    const KernelArray c = kernel_float32(info[11], "c", device);
    const int64_t ldc = integer_in_range(info[12], "ldc", 1, kMaxExtent);
    const int64_t a_span = trans_a ? matrix_span(a, k, m, lda, "a", "lda") : matrix_span(a, m, k, lda, "a", "lda");
    const int64_t b_span = trans_b ? matrix_span(b, n, k, ldb, "b", "ldb") : matrix_span(b, k, n, ldb, "b", "ldb");
    const int64_t c_span = matrix_span(c, m, n, ldc, "c", "ldc");
    expect_disjoint(c, c_span, a, a_span, "c", "a");
    expect_disjoint(c, c_span, b, b_span, "c", "b");
    const float* bias = nullptr;
    if (!info[13].IsNull() && !info[13].IsUndefined()) {
      const KernelArray bias_array = kernel_float32(info[13], "bias", device);
      expect_length(bias_array, n, "bias", "n");
      expect_disjoint(c, c_span, bias_array, n, "c", "bias");
      bias = static_cast<const float*>(bias_array.data);
    }
    kernel<GemmKernel>(kGemm, device)(trans_a, trans_b, m, n, k, alpha, static_cast<const float*>(a.data), lda,
                                      static_cast<const float*>(b.data), ldb, beta, static_cast<float*>(c.data), ldc,
                                      bias);
    return info.Env().Undefined();
  });
}

Napi::Value bias_gradient_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "dy");
    const KernelArray dy = kernel_float32(info[0], "dy", device);
    const int64_t rows = integer_in_range(info[1], "rows", 0, kMaxExtent);
    const int64_t cols = integer_in_range(info[2], "cols", 0, kMaxExtent);
    const KernelArray db = kernel_float32(info[3], "db", device);
    if (static_cast<double>(rows) * static_cast<double>(cols) != static_cast<double>(dy.length)) {
      throw std::range_error("dy has length " + std::to_string(dy.length) + " but must have rows × cols = " +
                             std::to_string(rows) + " × " + std::to_string(cols));
    }
    expect_length(db, cols, "db", "cols");
    if (cols == 0) return info.Env().Undefined();
    kernel<BiasGradientKernel>(kBiasGradient, device)(static_cast<const float*>(dy.data), rows, cols,
                                                      static_cast<float*>(db.data));
    return info.Env().Undefined();
  });
}

Napi::Value gemm_cpu_backend_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    result.Set("backend", gemm_cpu_backend() == GemmCpuBackend::kOpenBlas ? "openblas" : "builtin");
    result.Set("kernel", gemm_builtin_kernel());
    const std::vector<std::string> names = gemm_builtin_kernels();
    Napi::Array kernels = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) kernels.Set(static_cast<uint32_t>(i), names[i]);
    result.Set("kernels", kernels);
    std::string why;
    const bool available = openblas_available(&why);
    result.Set("openblas", available);
    if (available) {
      result.Set("openblasCore", openblas_core_name());
    } else {
      result.Set("openblasReason", why);
    }
    return Napi::Value(result);
  });
}

Napi::Value set_gemm_cpu_backend_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    if (!info[0].IsString()) throw Napi::TypeError::New(env, "backend must be \"builtin\" or \"openblas\"");
    const std::string backend = info[0].As<Napi::String>().Utf8Value();
    if (backend != "builtin" && backend != "openblas") {
      throw Napi::RangeError::New(env, "backend must be \"builtin\" or \"openblas\", got \"" + backend + "\"");
    }
    if (!info[1].IsUndefined()) {
      if (!info[1].IsString()) throw Napi::TypeError::New(env, "kernel must be a string");
      const std::string name = info[1].As<Napi::String>().Utf8Value();
      if (!set_gemm_builtin_kernel(name)) {
        std::string supported;
        for (const std::string& known : gemm_builtin_kernels()) supported += (supported.empty() ? "" : ", ") + known;
        throw Napi::RangeError::New(env, "kernel \"" + name + "\" is not supported on this CPU (supported: " +
                                             supported + ")");
      }
    }
    set_gemm_cpu_backend(backend == "openblas" ? GemmCpuBackend::kOpenBlas : GemmCpuBackend::kBuiltin);
    return env.Undefined();
  });
}

const BindingRegistration gemm("gemm", &gemm_binding);
const BindingRegistration bias_gradient("biasGradient", &bias_gradient_binding);
const BindingRegistration gemm_cpu_backend_registration("gemmCpuBackend", &gemm_cpu_backend_binding);
const BindingRegistration set_gemm_cpu_backend_registration("setGemmCpuBackend", &set_gemm_cpu_backend_binding);

}  // namespace

}  // namespace mixdim
