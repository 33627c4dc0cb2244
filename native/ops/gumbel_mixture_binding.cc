// The Gumbel-softmax mixture's JS functions. Sizes come as integers and are checked against every
// array's length before a kernel runs; `dims` (candidate sizes) is a host Int32Array.
//   gumbelNoise(fields, candidates, seed, step, noise)
//   mixtureWeights(fields, candidates, logAlpha, tau, mode, seed, step, p, w)
//   mixtureWeightsBackward(fields, candidates, p, dw, tau, dlogAlpha)
//   weightedSum(batch, fields, candidates, dim, h, w, out)
//   weightedSumBackward(batch, fields, candidates, dim, h, w, dout, dh, dw)
//   candidateProjection(batch, fields, dim, dims, shared, e, weights, biases, h)
//   candidateProjectionBackward(batch, fields, dim, dims, shared, e, weights, dh, de, dweights, dbiases)
//   projectAndMix(batch, fields, dim, dims, shared, e, weights, biases, w, out)
//   projectAndMixBackward(batch, fields, dim, dims, shared, e, weights, biases, w, dout, de, dweights, dbiases, dw)
#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "gumbel_mixture.h"

namespace mixdim {

namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 31;
constexpr double kMaxElements = 4611686018427387904.0;  // 2^62

const float* in(const KernelArray& array) { return static_cast<const float*>(array.data); }
float* out(const KernelArray& array) { return static_cast<float*>(array.data); }

int64_t extent(const Napi::Value& value, const char* name, int64_t low) {
  return integer_in_range(value, name, low, kMaxExtent);
}

// The product of extents, or a RangeError when it could overflow an int64 offset.
int64_t elements(std::initializer_list<int64_t> extents) {
  double product = 1.0;
  int64_t exact = 1;
  for (const int64_t e : extents) {
    product *= static_cast<double>(e);
    if (product > kMaxElements) throw std::range_error("the tensor sizes are too large (more than 2^62 elements)");
    exact *= e;
  }
  return exact;
}

float read_tau(const Napi::Value& value) {
  const double tau = finite_number(value, "tau");
  if (!(tau > 0.0)) throw std::range_error("tau must be > 0, got " + std::to_string(tau));
  return static_cast<float>(tau);
}

uint64_t read_seed(const Napi::Value& value) {
  return static_cast<uint64_t>(integer_in_range(value, "seed", 0, (int64_t{1} << 53) - 1));
}

uint32_t read_step(const Napi::Value& value) {
  return static_cast<uint32_t>(integer_in_range(value, "step", 0, (int64_t{1} << 32) - 1));
}

// The layout from (batch, fields, dim, dims, shared) at info[first..first+4].
MixtureLayout read_layout(const Napi::CallbackInfo& info, int first) {
  MixtureLayout L;
  L.batch = extent(info[first], "batch", 0);
  L.fields = extent(info[first + 1], "fields", 1);
  L.dim = extent(info[first + 2], "dim", 1);
  const KernelArray dims = host_int32(info[first + 3], "dims");
  if (!info[first + 4].IsBoolean()) throw Napi::TypeError::New(info.Env(), "shared must be a boolean");
  L.shared = info[first + 4].As<Napi::Boolean>().Value() ? 1 : 0;
  if (dims.length < 1 || dims.length > kMaxMixtureCandidates) {
    throw std::range_error("dims must hold 1 to " + std::to_string(kMaxMixtureCandidates) +
                           " candidate sizes, got " + std::to_string(dims.length));
  }
  L.candidates = dims.length;
  const int32_t* d = static_cast<const int32_t*>(dims.data);
  int64_t total = 0;
  for (int64_t m = 0; m < dims.length; ++m) {
    if (d[m] < 1 || d[m] > (1 << 20)) {
      throw std::range_error("dims[" + std::to_string(m) + "] = " + std::to_string(d[m]) +
                             " must be in [1, 1048576]");
    }
    if (L.shared && m > 0 && d[m] <= d[m - 1]) {
      throw std::range_error("dims must be strictly increasing when candidates share one table (dims[" +
                             std::to_string(m) + "] = " + std::to_string(d[m]) + ")");
    }
    L.dims[m] = d[m];
    L.offsets[m] = static_cast<int32_t>(total);
    total += d[m];
  }
  if (total > (int64_t{1} << 24)) throw std::range_error("dims sum to more than 2^24 columns");
  L.weight_width = total;
  L.input_width = L.shared ? d[dims.length - 1] : total;
  elements({L.batch, L.fields, L.candidates, L.dim});
  elements({L.batch, L.fields, L.input_width});
  elements({L.fields, L.dim, L.weight_width});
  return L;
}

Napi::Value gumbel_noise_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int64_t fields = extent(info[0], "fields", 0);
    const int64_t candidates = extent(info[1], "candidates", 1);
    const uint64_t seed = read_seed(info[2]);
    const uint32_t step = read_step(info[3]);
    const int device = argument_device(info[4], "noise");
    const KernelArray noise = kernel_float32(info[4], "noise", device);
    expect_length(noise, elements({fields, candidates}), "noise", "fields·candidates");
    kernel<GumbelNoiseKernel>(kGumbelNoise, device)(fields, candidates, seed, step, out(noise));
    return info.Env().Undefined();
  });
}

Napi::Value mixture_weights_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int64_t fields = extent(info[0], "fields", 0);
    const int64_t candidates = extent(info[1], "candidates", 1);
    const int device = argument_device(info[2], "logAlpha");
    const KernelArray log_alpha = kernel_float32(info[2], "logAlpha", device);
    const float tau = read_tau(info[3]);
    const int32_t mode = static_cast<int32_t>(integer_in_range(info[4], "mode", 0, 2));
    const uint64_t seed = read_seed(info[5]);
    const uint32_t step = read_step(info[6]);
    const KernelArray p = kernel_float32(info[7], "p", device);
    const KernelArray w = kernel_float32(info[8], "w", device);
    const int64_t n = elements({fields, candidates});
    expect_length(log_alpha, n, "logAlpha", "fields·candidates");
    expect_length(p, n, "p", "fields·candidates");
    expect_length(w, n, "w", "fields·candidates");
    kernel<MixtureWeightsKernel>(kMixtureWeights, device)(fields, candidates, in(log_alpha), tau, mode, seed, step,
                                                         out(p), out(w));
    return info.Env().Undefined();
  });
}

Napi::Value mixture_weights_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int64_t fields = extent(info[0], "fields", 0);
    const int64_t candidates = extent(info[1], "candidates", 1);
    const int device = argument_device(info[2], "p");
    const KernelArray p = kernel_float32(info[2], "p", device);
    const KernelArray dw = kernel_float32(info[3], "dw", device);
    const float tau = read_tau(info[4]);
    const KernelArray dlog_alpha = kernel_float32(info[5], "dlogAlpha", device);
    const int64_t n = elements({fields, candidates});
    expect_length(p, n, "p", "fields·candidates");
    expect_length(dw, n, "dw", "fields·candidates");
    expect_length(dlog_alpha, n, "dlogAlpha", "fields·candidates");
    kernel<MixtureWeightsBackwardKernel>(kMixtureWeightsBackward, device)(fields, candidates, in(p), in(dw), tau,
                                                                         out(dlog_alpha));
    return info.Env().Undefined();
  });
}

Napi::Value weighted_sum_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int64_t batch = extent(info[0], "batch", 0);
    const int64_t fields = extent(info[1], "fields", 1);
    const int64_t candidates = extent(info[2], "candidates", 1);
    const int64_t dim = extent(info[3], "dim", 1);
    const int device = argument_device(info[4], "h");
    const KernelArray h = kernel_float32(info[4], "h", device);
    const KernelArray w = kernel_float32(info[5], "w", device);
    const KernelArray result = kernel_float32(info[6], "out", device);
    expect_length(h, elements({batch, fields, candidates, dim}), "h", "batch·fields·candidates·dim");
    expect_length(w, elements({fields, candidates}), "w", "fields·candidates");
    expect_length(result, elements({batch, fields, dim}), "out", "batch·fields·dim");
    kernel<WeightedSumKernel>(kWeightedSum, device)(batch, fields, candidates, dim, in(h), in(w), out(result));
    return info.Env().Undefined();
  });
}

Napi::Value weighted_sum_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int64_t batch = extent(info[0], "batch", 0);
    const int64_t fields = extent(info[1], "fields", 1);
    const int64_t candidates = extent(info[2], "candidates", 1);
    const int64_t dim = extent(info[3], "dim", 1);
    const int device = argument_device(info[4], "h");
    const KernelArray h = kernel_float32(info[4], "h", device);
    const KernelArray w = kernel_float32(info[5], "w", device);
    const KernelArray dout = kernel_float32(info[6], "dout", device);
    const KernelArray dh = kernel_float32(info[7], "dh", device);
    const KernelArray dw = kernel_float32(info[8], "dw", device);
    const int64_t hn = elements({batch, fields, candidates, dim});
    expect_length(h, hn, "h", "batch·fields·candidates·dim");
    expect_length(w, elements({fields, candidates}), "w", "fields·candidates");
    expect_length(dout, elements({batch, fields, dim}), "dout", "batch·fields·dim");
    expect_length(dh, hn, "dh", "h.length");
    expect_length(dw, elements({fields, candidates}), "dw", "fields·candidates");
    kernel<WeightedSumBackwardKernel>(kWeightedSumBackward, device)(batch, fields, candidates, dim, in(h), in(w),
                                                                   in(dout), out(dh), out(dw));
    return info.Env().Undefined();
  });
}

// e, weights and biases at info[5..7], checked against the layout.
struct ProjectionArguments {
  MixtureLayout layout;
  int device;
  KernelArray e, weights, biases;
};

ProjectionArguments read_projection(const Napi::CallbackInfo& info, bool with_biases) {
  ProjectionArguments a{read_layout(info, 0), 0, {}, {}, {}};
  const MixtureLayout& L = a.layout;
  a.device = argument_device(info[5], "e");
  a.e = kernel_float32(info[5], "e", a.device);
  a.weights = kernel_float32(info[6], "weights", a.device);
  expect_length(a.e, L.batch * L.fields * L.input_width, "e", "batch·fields·(Σ dims, or max dims when shared)");
  expect_length(a.weights, L.fields * L.dim * L.weight_width, "weights", "fields·dim·Σ dims");
  if (with_biases) {
    a.biases = kernel_float32(info[7], "biases", a.device);
    expect_length(a.biases, L.fields * L.candidates * L.dim, "biases", "fields·dims.length·dim");
  }
  return a;
}

Napi::Value candidate_projection_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ProjectionArguments a = read_projection(info, true);
    const MixtureLayout& L = a.layout;
    const KernelArray h = kernel_float32(info[8], "h", a.device);
    expect_length(h, L.batch * L.fields * L.candidates * L.dim, "h", "batch·fields·dims.length·dim");
    kernel<CandidateProjectionKernel>(kCandidateProjection, a.device)(L, in(a.e), in(a.weights), in(a.biases), out(h));
    return info.Env().Undefined();
  });
}

Napi::Value candidate_projection_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ProjectionArguments a = read_projection(info, false);
    const MixtureLayout& L = a.layout;
    const KernelArray dh = kernel_float32(info[7], "dh", a.device);
    const KernelArray de = kernel_float32(info[8], "de", a.device);
    const KernelArray dweights = kernel_float32(info[9], "dweights", a.device);
    const KernelArray dbiases = kernel_float32(info[10], "dbiases", a.device);
    expect_length(dh, L.batch * L.fields * L.candidates * L.dim, "dh", "batch·fields·dims.length·dim");
    expect_length(de, a.e.length, "de", "e.length");
    expect_length(dweights, a.weights.length, "dweights", "weights.length");
    expect_length(dbiases, L.fields * L.candidates * L.dim, "dbiases", "fields·dims.length·dim");
    kernel<CandidateProjectionBackwardKernel>(kCandidateProjectionBackward, a.device)(
        L, in(a.e), in(a.weights), in(dh), out(de), out(dweights), out(dbiases));
    return info.Env().Undefined();
  });
}

Napi::Value project_and_mix_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ProjectionArguments a = read_projection(info, true);
    const MixtureLayout& L = a.layout;
    const KernelArray w = kernel_float32(info[8], "w", a.device);
    const KernelArray result = kernel_float32(info[9], "out", a.device);
    expect_length(w, L.fields * L.candidates, "w", "fields·dims.length");
    expect_length(result, L.batch * L.fields * L.dim, "out", "batch·fields·dim");
    kernel<ProjectAndMixKernel>(kProjectAndMix, a.device)(L, in(a.e), in(a.weights), in(a.biases), in(w),
                                                         out(result));
    return info.Env().Undefined();
  });
}

Napi::Value project_and_mix_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ProjectionArguments a = read_projection(info, true);
    const MixtureLayout& L = a.layout;
    const KernelArray w = kernel_float32(info[8], "w", a.device);
    const KernelArray dout = kernel_float32(info[9], "dout", a.device);
    const KernelArray de = kernel_float32(info[10], "de", a.device);
    const KernelArray dweights = kernel_float32(info[11], "dweights", a.device);
    const KernelArray dbiases = kernel_float32(info[12], "dbiases", a.device);
    const KernelArray dw = kernel_float32(info[13], "dw", a.device);
    expect_length(w, L.fields * L.candidates, "w", "fields·dims.length");
    expect_length(dout, L.batch * L.fields * L.dim, "dout", "batch·fields·dim");
    expect_length(de, a.e.length, "de", "e.length");
    expect_length(dweights, a.weights.length, "dweights", "weights.length");
    expect_length(dbiases, a.biases.length, "dbiases", "biases.length");
    expect_length(dw, L.fields * L.candidates, "dw", "fields·dims.length");
    kernel<ProjectAndMixBackwardKernel>(kProjectAndMixBackward, a.device)(
        L, in(a.e), in(a.weights), in(a.biases), in(w), in(dout), out(de), out(dweights), out(dbiases), out(dw));
    return info.Env().Undefined();
  });
}

const BindingRegistration noise("gumbelNoise", &gumbel_noise_binding);
const BindingRegistration weights("mixtureWeights", &mixture_weights_binding);
const BindingRegistration weights_backward("mixtureWeightsBackward", &mixture_weights_backward_binding);
const BindingRegistration sum("weightedSum", &weighted_sum_binding);
const BindingRegistration sum_backward("weightedSumBackward", &weighted_sum_backward_binding);
const BindingRegistration projection("candidateProjection", &candidate_projection_binding);
const BindingRegistration projection_backward("candidateProjectionBackward", &candidate_projection_backward_binding);
const BindingRegistration mix("projectAndMix", &project_and_mix_binding);
const BindingRegistration mix_backward("projectAndMixBackward", &project_and_mix_backward_binding);

}  // namespace

}  // namespace mixdim
