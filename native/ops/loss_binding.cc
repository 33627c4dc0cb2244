// binaryLoss(kind, logits, labels, grad, perSample, mean), bprLoss(pos, neg, gradPos, gradNeg, perSample, mean) and
// softmaxCrossEntropyLoss(logits, labels, classes, grad, perSample, mean): float32 arrays (int32 labels for the
// softmax) on one device; grad, gradPos/gradNeg and perSample may be null. Each returns the loss: the sum, or the
// mean when `mean` is true (NaN for an empty batch, as in PyTorch). Non-finite logits and out-of-range labels are
// RangeErrors naming the first one.
#include <cmath>
#include <sstream>
#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "loss.h"

namespace mixdim {

namespace {

// "= value" for a host array, which the message can quote; nothing for device memory.
std::string quoted_value(const KernelArray& array, int64_t index) {
  if (array.device != kHostDevice) return "";
  const float value = static_cast<const float*>(array.data)[index];
  std::ostringstream text;
  if (std::isnan(value)) text << "NaN";
  else if (std::isinf(value)) text << (value > 0 ? "Infinity" : "-Infinity");
  else text << value;
  return " = " + text.str();
}

double reduced(double sum, int64_t n, bool mean) { return mean ? sum / static_cast<double>(n) : sum; }

float gradient_scale(int64_t n, bool mean) { return mean && n > 0 ? static_cast<float>(1.0 / n) : 1.0f; }

Napi::Value binary_loss_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    const int32_t kind = static_cast<int32_t>(integer_in_range(info[0], "kind", 0, 1));
    const bool mean = boolean_argument(info[5], "mean");
    const int device = argument_device(info[1], "logits");
    const KernelArray z = kernel_float32(info[1], "logits", device);
    const KernelArray y = kernel_float32(info[2], "labels", device);
    const int64_t n = z.length;
    expect_length(y, n, "labels", "logits.length");
    float* dz = optional_float32(info[3], "grad", device, n, "logits.length");
    float* losses = optional_float32(info[4], "perSample", device, n, "logits.length");
    int64_t invalid = -1;
    const double sum = kernel<BinaryLossKernel>(kBinaryLoss, device)(
        kind, static_cast<const float*>(z.data), static_cast<const float*>(y.data), dz, losses, n,
        gradient_scale(n, mean), &invalid);
    if (invalid >= 0) {
      const int64_t i = invalid / 2;
      if (invalid % 2 == 0) {
        throw Napi::RangeError::New(env, "logits[" + std::to_string(i) + "]" + quoted_value(z, i) + " must be finite");
      }
      throw Napi::RangeError::New(env, "labels[" + std::to_string(i) + "]" + quoted_value(y, i) +
                                           " must be a number in [0, 1]");
    }
    return Napi::Number::New(env, reduced(sum, n, mean));
  });
}

Napi::Value bpr_loss_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    const bool mean = boolean_argument(info[5], "mean");
    const int device = argument_device(info[0], "pos");
    const KernelArray pos = kernel_float32(info[0], "pos", device);
    const KernelArray neg = kernel_float32(info[1], "neg", device);
    const int64_t n = pos.length;
    expect_length(neg, n, "neg", "pos.length");
    float* dpos = optional_float32(info[2], "gradPos", device, n, "pos.length");
    float* dneg = optional_float32(info[3], "gradNeg", device, n, "pos.length");
    float* losses = optional_float32(info[4], "perSample", device, n, "pos.length");
    if ((dpos == nullptr) != (dneg == nullptr)) {
      throw Napi::TypeError::New(env, "gradPos and gradNeg must be given together or both be null");
    }
    int64_t invalid = -1;
    const double sum = kernel<BprLossKernel>(kBprLoss, device)(
        static_cast<const float*>(pos.data), static_cast<const float*>(neg.data), dpos, dneg, losses, n,
        gradient_scale(n, mean), &invalid);
    if (invalid >= 0) {
      const int64_t i = invalid / 2;
      const KernelArray& bad = invalid % 2 == 0 ? pos : neg;
      throw Napi::RangeError::New(env, std::string(invalid % 2 == 0 ? "pos" : "neg") + "[" + std::to_string(i) + "]" +
                                           quoted_value(bad, i) + " must be finite");
    }
    return Napi::Number::New(env, reduced(sum, n, mean));
  });
}

Napi::Value softmax_cross_entropy_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    const bool mean = boolean_argument(info[5], "mean");
    const int64_t k = integer_in_range(info[2], "classes", 0, INT32_MAX);
    const int device = argument_device(info[0], "logits");
    const KernelArray z = kernel_float32(info[0], "logits", device);
    const KernelArray labels = kernel_int32(info[1], "labels", device);
    const int64_t n = labels.length;
    expect_length(z, n * k, "logits", "labels.length × classes");
    float* dz = optional_float32(info[3], "grad", device, n * k, "labels.length × classes");
    float* losses = optional_float32(info[4], "perSample", device, n, "labels.length");
    // On the host the labels are checked before any logit is read; on a device the kernel guards them.
    if (device == kHostDevice) expect_ids_in_range(static_cast<const int32_t*>(labels.data), n, k, "labels");
    int64_t invalid = -1;
    const double sum = kernel<SoftmaxCrossEntropyKernel>(kSoftmaxCrossEntropy, device)(
        static_cast<const float*>(z.data), static_cast<const int32_t*>(labels.data), dz, losses, n, k,
        gradient_scale(n, mean), &invalid);
    if (invalid >= 0) {
      const int64_t i = invalid / (k + 1);
      const int64_t j = invalid % (k + 1);
      if (j == k) {
        throw Napi::RangeError::New(env, "labels[" + std::to_string(i) + "] is out of range [0, " + std::to_string(k) +
                                             ")");
      }
      throw Napi::RangeError::New(env, "logits[" + std::to_string(i) + ", " + std::to_string(j) + "]" +
                                           quoted_value(z, i * k + j) + " must be finite");
    }
    return Napi::Number::New(env, reduced(sum, n, mean));
  });
}

const BindingRegistration binary("binaryLoss", &binary_loss_binding);
const BindingRegistration bpr("bprLoss", &bpr_loss_binding);
const BindingRegistration softmax_ce("softmaxCrossEntropyLoss", &softmax_cross_entropy_binding);

}  // namespace

}  // namespace mixdim
