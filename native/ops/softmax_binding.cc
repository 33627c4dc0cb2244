// softmaxForward(x, y, rows, cols) and softmaxBackward(y, dy, dx, rows, cols): row-major float32
// arrays of rows × cols elements, all on one device; the output must not overlap an input.
#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "softmax.h"

namespace mixdim {

namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 40;

void expect_elements(const KernelArray& array, int64_t rows, int64_t cols, const char* name) {
  if (static_cast<double>(rows) * static_cast<double>(cols) != static_cast<double>(array.length)) {
    throw std::range_error(std::string(name) + " has length " + std::to_string(array.length) +
                           " but must have rows × cols = " + std::to_string(rows) + " × " + std::to_string(cols));
  }
}

void expect_separate(const KernelArray& out, const KernelArray& in, const char* out_name, const char* in_name) {
  const char* o = static_cast<const char*>(out.data);
  const char* i = static_cast<const char*>(in.data);
  if (out.length > 0 && in.length > 0 && o < i + in.length * 4 && i < o + out.length * 4) {
    throw std::range_error(std::string(out_name) + " overlaps " + in_name + ": the output must be separate memory");
  }
}

Napi::Value softmax_forward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "x");
    const KernelArray x = kernel_float32(info[0], "x", device);
    const KernelArray y = kernel_float32(info[1], "y", device);
    const int64_t rows = integer_in_range(info[2], "rows", 0, kMaxExtent);
    const int64_t cols = integer_in_range(info[3], "cols", 0, kMaxExtent);
    expect_elements(x, rows, cols, "x");
    expect_elements(y, rows, cols, "y");
    expect_separate(y, x, "y", "x");
    if (rows == 0 || cols == 0) return info.Env().Undefined();
    kernel<SoftmaxForwardKernel>(kSoftmaxForward, device)(static_cast<const float*>(x.data),
                                                          static_cast<float*>(y.data), rows, cols);
    return info.Env().Undefined();
  });
}

Napi::Value softmax_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "y");
    const KernelArray y = kernel_float32(info[0], "y", device);
    const KernelArray dy = kernel_float32(info[1], "dy", device);
    const KernelArray dx = kernel_float32(info[2], "dx", device);
    const int64_t rows = integer_in_range(info[3], "rows", 0, kMaxExtent);
    const int64_t cols = integer_in_range(info[4], "cols", 0, kMaxExtent);
    expect_elements(y, rows, cols, "y");
    expect_elements(dy, rows, cols, "dy");
    expect_elements(dx, rows, cols, "dx");
    expect_separate(dx, y, "dx", "y");
    expect_separate(dx, dy, "dx", "dy");
    if (rows == 0 || cols == 0) return info.Env().Undefined();
    kernel<SoftmaxBackwardKernel>(kSoftmaxBackward, device)(
        static_cast<const float*>(y.data), static_cast<const float*>(dy.data), static_cast<float*>(dx.data), rows,
        cols);
    return info.Env().Undefined();
  });
}

const BindingRegistration forward("softmaxForward", &softmax_forward_binding);
const BindingRegistration backward("softmaxBackward", &softmax_backward_binding);

}  // namespace

}  // namespace mixdim
