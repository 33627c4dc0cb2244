// batchNormForward(training, x, gamma, beta, runningMean, runningVar, y, saveMean, saveInvstd, rows, features, eps,
//                  momentum, activation) and batchNormBackward(training, x, dy, gamma, saveMean, saveInvstd, dx,
//                  dgamma, dbeta, rows, features, activation, y): float32 arrays on one device; x, y, dy, dx hold
//                  rows × features, the rest features each; gamma/beta, dgamma/dbeta and runningMean/runningVar
//                  may be null, in pairs. activation: 0 none, 1 tanh; the backward's y (the forward's output)
//                  is required with tanh and must be null without.
#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "../kernels/batch_norm.h"
#include "batch_norm.h"

namespace mixdim {

namespace {

void expect_both_or_neither(const Napi::Env& env, const float* first, const float* second, const char* first_name,
                            const char* second_name) {
  if ((first == nullptr) != (second == nullptr)) {
    throw Napi::TypeError::New(env, std::string(first_name) + " and " + second_name +
                                        " must be given together or both be null");
  }
}

struct Shape {
  int64_t rows;
  int64_t features;
};

Shape shape_arguments(const Napi::Value& rows, const Napi::Value& features) {
  constexpr int64_t kMax = int64_t{1} << 53;
  const Shape shape{integer_in_range(rows, "rows", 0, kMax), integer_in_range(features, "features", 0, kMax)};
  if (shape.features > 0 && shape.rows > kMax / shape.features) {
    throw Napi::RangeError::New(rows.Env(), "rows × features is too large");
  }
  return shape;
}

Napi::Value batch_norm_forward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    const bool training = boolean_argument(info[0], "training");
    const Shape s = shape_arguments(info[9], info[10]);
    const double eps = finite_number(info[11], "eps");
    const double momentum = finite_number(info[12], "momentum");
    const int32_t activation = static_cast<int32_t>(integer_in_range(info[13], "activation", kBatchNormIdentity, kBatchNormTanh));
    if (eps < 0) throw Napi::RangeError::New(env, "eps must be >= 0, got " + std::to_string(eps));
    if (momentum < 0 || momentum > 1) {
      throw Napi::RangeError::New(env, "momentum must be in [0, 1], got " + std::to_string(momentum));
    }
    const int device = argument_device(info[1], "x");
    const std::string data_length = "rows × features";
    const std::string feature_length = "features";
    const float* x = float32_argument(info[1], "x", device, s.rows * s.features, data_length);
    const float* gamma = optional_float32(info[2], "gamma", device, s.features, feature_length);
    const float* beta = optional_float32(info[3], "beta", device, s.features, feature_length);
    float* running_mean = optional_float32(info[4], "runningMean", device, s.features, feature_length);
    float* running_var = optional_float32(info[5], "runningVar", device, s.features, feature_length);
    float* y = float32_argument(info[6], "y", device, s.rows * s.features, data_length);
    float* save_mean = float32_argument(info[7], "saveMean", device, s.features, feature_length);
    float* save_invstd = float32_argument(info[8], "saveInvstd", device, s.features, feature_length);
    expect_both_or_neither(env, gamma, beta, "gamma", "beta");
    expect_both_or_neither(env, running_mean, running_var, "runningMean", "runningVar");
    if (training && s.rows < 2) {
      throw Napi::RangeError::New(env, "x must have at least 2 rows in training mode, got " + std::to_string(s.rows));
    }
    if (!training && running_mean == nullptr) {
      throw Napi::TypeError::New(env, "runningMean and runningVar are required in eval mode");
    }
    kernel<BatchNormForwardKernel>(kBatchNormForward, device)(training, x, gamma, beta, running_mean, running_var, y,
                                                              save_mean, save_invstd, s.rows, s.features,
                                                              static_cast<float>(eps), static_cast<float>(momentum),
                                                              activation);
    return env.Undefined();
  });
}

Napi::Value batch_norm_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    const bool training = boolean_argument(info[0], "training");
    const Shape s = shape_arguments(info[9], info[10]);
    const int device = argument_device(info[1], "x");
    const std::string data_length = "rows × features";
    const std::string feature_length = "features";
    const float* x = float32_argument(info[1], "x", device, s.rows * s.features, data_length);
    const float* dy = float32_argument(info[2], "dy", device, s.rows * s.features, data_length);
    const float* gamma = optional_float32(info[3], "gamma", device, s.features, feature_length);
    const float* save_mean = float32_argument(info[4], "saveMean", device, s.features, feature_length);
    const float* save_invstd = float32_argument(info[5], "saveInvstd", device, s.features, feature_length);
    float* dx = float32_argument(info[6], "dx", device, s.rows * s.features, data_length);
    float* dgamma = optional_float32(info[7], "dgamma", device, s.features, feature_length);
    float* dbeta = optional_float32(info[8], "dbeta", device, s.features, feature_length);
    expect_both_or_neither(env, dgamma, dbeta, "dgamma", "dbeta");
    const int32_t activation = static_cast<int32_t>(integer_in_range(info[11], "activation", kBatchNormIdentity, kBatchNormTanh));
    const float* y = optional_float32(info[12], "y", device, s.rows * s.features, data_length);
    if ((activation == kBatchNormTanh) != (y != nullptr)) {
      throw Napi::TypeError::New(env, activation == kBatchNormTanh ? "y (the forward's output) is required with activation tanh"
                                                                    : "y must be null without an activation");
    }
    if (training && s.rows < 2) {
      throw Napi::RangeError::New(env, "x must have at least 2 rows in training mode, got " + std::to_string(s.rows));
    }
    kernel<BatchNormBackwardKernel>(kBatchNormBackward, device)(training, x, dy, gamma, save_mean, save_invstd, dx,
                                                                dgamma, dbeta, s.rows, s.features, activation, y);
    return env.Undefined();
  });
}

const BindingRegistration forward("batchNormForward", &batch_norm_forward_binding);
const BindingRegistration backward("batchNormBackward", &batch_norm_backward_binding);

}  // namespace

}  // namespace mixdim
