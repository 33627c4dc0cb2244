// denseSgdStep(param, grad, momentumBuffer, learningRate, momentum, weightDecay),
// denseAdamStep(param, grad, m, v, step, learningRate, beta1, beta2, eps, weightDecay, decoupled) and
// denseAdagradStep(param, grad, sum, learningRate, eps, weightDecay),
// clipGradNorm(grads, maxNorm): float32 arrays on one device, updated in place. momentumBuffer may be null
// (plain SGD). clipGradNorm takes an Array of gradients and returns their global L2 norm.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "dense_optimizer.h"

namespace mixdim {

namespace {

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// A finite number in [low, high] (or [low, high) when high_open).
double number_in(const Napi::Value& value, const char* name, double low, double high, bool high_open = false) {
  const double number = finite_number(value, name);
  if (number < low || number > high || (high_open && number == high)) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be in [" + format_number(low) + ", " +
                                                 (std::isinf(high) ? "Infinity" : format_number(high)) +
                                                 (high_open ? ")" : "]") + ", got " + format_number(number));
  }
  return number;
}

constexpr double kUnbounded = INFINITY;

Napi::Value dense_sgd_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "param");
    const KernelArray param = kernel_float32(info[0], "param", device);
    const float* grad = float32_argument(info[1], "grad", device, param.length, "param.length");
    float* buffer = info[2].IsNull() || info[2].IsUndefined()
                        ? nullptr
                        : float32_argument(info[2], "momentumBuffer", device, param.length, "param.length");
    DenseSgdStep step;
    step.learning_rate = static_cast<float>(number_in(info[3], "learningRate", 0, kUnbounded));
    step.momentum = static_cast<float>(number_in(info[4], "momentum", 0, kUnbounded));
    step.weight_decay = static_cast<float>(number_in(info[5], "weightDecay", 0, kUnbounded));
    kernel<DenseSgdKernel>(kDenseSgd, device)(static_cast<float*>(param.data), grad, buffer, param.length, step);
    return info.Env().Undefined();
  });
}

Napi::Value dense_adam_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "param");
    const KernelArray param = kernel_float32(info[0], "param", device);
    const float* grad = float32_argument(info[1], "grad", device, param.length, "param.length");
    float* m = float32_argument(info[2], "m", device, param.length, "param.length");
    float* v = float32_argument(info[3], "v", device, param.length, "param.length");
    const double t = static_cast<double>(integer_in_range(info[4], "step", 1, int64_t{1} << 53));
    const double learning_rate = number_in(info[5], "learningRate", 0, kUnbounded);
    const double beta1 = number_in(info[6], "beta1", 0, 1, true);
    const double beta2 = number_in(info[7], "beta2", 0, 1, true);
    const double eps = number_in(info[8], "eps", 0, kUnbounded);
    const double weight_decay = number_in(info[9], "weightDecay", 0, kUnbounded);
    if (!info[10].IsBoolean()) throw Napi::TypeError::New(info.Env(), "decoupled must be a boolean");
    DenseAdamStep step;
    step.beta1 = static_cast<float>(beta1);
    step.beta2 = static_cast<float>(beta2);
    step.eps = static_cast<float>(eps);
    step.weight_decay = static_cast<float>(weight_decay);
    step.decoupled = info[10].As<Napi::Boolean>().Value();
    step.decay_factor = static_cast<float>(1.0 - learning_rate * weight_decay);
    step.step_size = static_cast<float>(learning_rate / (1.0 - std::pow(beta1, t)));
    step.inverse_sqrt_correction2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2, t)));
    kernel<DenseAdamKernel>(kDenseAdam, device)(static_cast<float*>(param.data), grad, m, v, param.length, step);
    return info.Env().Undefined();
  });
}

Napi::Value dense_adagrad_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "param");
    const KernelArray param = kernel_float32(info[0], "param", device);
    const float* grad = float32_argument(info[1], "grad", device, param.length, "param.length");
    float* sum = float32_argument(info[2], "sum", device, param.length, "param.length");
    DenseAdagradStep step;
    step.learning_rate = static_cast<float>(number_in(info[3], "learningRate", 0, kUnbounded));
    step.eps = static_cast<float>(number_in(info[4], "eps", 0, kUnbounded));
    step.weight_decay = static_cast<float>(number_in(info[5], "weightDecay", 0, kUnbounded));
    kernel<DenseAdagradKernel>(kDenseAdagrad, device)(static_cast<float*>(param.data), grad, sum, param.length, step);
    return info.Env().Undefined();
  });
}

Napi::Value clip_grad_norm_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const Napi::Env env = info.Env();
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, "grads must be an Array");
    const Napi::Array list = info[0].As<Napi::Array>();
    const double max_norm = number_in(info[1], "maxNorm", 0, kUnbounded);
    std::vector<KernelArray> grads;
    int device = kHostDevice;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      const std::string name = "grads[" + std::to_string(i) + "]";
      const Napi::Value value = list.Get(i);
      if (i == 0) device = argument_device(value, name.c_str());
      grads.push_back(kernel_float32(value, name.c_str(), device));
    }
    if (grads.empty()) return Napi::Number::New(env, 0.0);
    double squares = 0.0;
    for (const KernelArray& grad : grads) {
      squares += kernel<ClipSumOfSquaresKernel>(kClipSumOfSquares, device)(static_cast<const float*>(grad.data),
                                                                          grad.length);
    }
    const double norm = std::sqrt(squares);
    const double factor = clip_factor(norm, max_norm);
    if (factor < 1.0) {
      for (const KernelArray& grad : grads) {
        kernel<ClipScaleKernel>(kClipScale, device)(static_cast<float*>(grad.data), grad.length,
                                                    static_cast<float>(factor));
      }
    }
    return Napi::Number::New(env, norm);
  });
}

const BindingRegistration sgd("denseSgdStep", &dense_sgd_binding);
const BindingRegistration adam("denseAdamStep", &dense_adam_binding);
const BindingRegistration adagrad("denseAdagradStep", &dense_adagrad_binding);
const BindingRegistration clip("clipGradNorm", &clip_grad_norm_binding);

}  // namespace

}  // namespace mixdim
