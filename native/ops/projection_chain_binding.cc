// The projection chain's JS functions. `dims` (the candidate sizes, strictly increasing) and
// `sizes` (each row's current size, one of dims) are host Int32Arrays; every float32 argument is
// a typed array or a device buffer on one device.
//   chainPrecompose(dims, weights, biases, matrices, offsets)
//   chainForward(dims, matrices, offsets, rows, rowWidth, sizes, out)
//   chainStepwiseForward(dims, weights, biases, rows, rowWidth, sizes, out)
//   chainLink(dims, weights, biases, rows, rowWidth, sizes, out)
//   chainBackward(dims, weights, biases, matrices, rows, rowWidth, sizes, dout, drows, dweights, dbiases)
#include <algorithm>
#include <string>
#include <vector>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "projection_chain.h"

namespace mixdim {

namespace {

std::string list(const int32_t* values, int64_t n) {
  std::string text = "[";
  for (int64_t i = 0; i < n; ++i) text += (i > 0 ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

ChainLayout read_layout(const Napi::Value& value) {
  const KernelArray dims = host_int32(value, "dims");
  const int32_t* d = static_cast<const int32_t*>(dims.data);
  if (dims.length < 1 || dims.length > kMaxChainClasses) {
    throw std::range_error("dims must hold 1 to " + std::to_string(kMaxChainClasses) + " candidate sizes, got " +
                           std::to_string(dims.length));
  }
  for (int64_t k = 0; k < dims.length; ++k) {
    if (d[k] < 1 || (k > 0 && d[k] <= d[k - 1])) {
      throw std::range_error("dims must be positive and strictly increasing, got " + list(d, dims.length));
    }
  }
  return chain_layout(d, static_cast<int32_t>(dims.length));
}

// Each row's class index from its size; throws naming the first size that is not a candidate.
std::vector<int32_t> read_classes(const Napi::Value& value, const ChainLayout& layout) {
  const KernelArray sizes = host_int32(value, "sizes");
  const int32_t* s = static_cast<const int32_t*>(sizes.data);
  std::vector<int32_t> classes(static_cast<size_t>(sizes.length));
  const int32_t* end = layout.dims + layout.classes;
  for (int64_t b = 0; b < sizes.length; ++b) {
    const int32_t* found = std::lower_bound(layout.dims, end, s[b]);
    if (found == end || *found != s[b]) {
      throw std::range_error("sizes[" + std::to_string(b) + "] = " + std::to_string(s[b]) +
                             " is not one of the candidate sizes " + list(layout.dims, layout.classes));
    }
    classes[static_cast<size_t>(b)] = static_cast<int32_t>(found - layout.dims);
  }
  return classes;
}

int64_t read_row_width(const Napi::Value& value, const ChainLayout& layout) {
  return integer_in_range(value, "rowWidth", layout.full(), int64_t{1} << 30);
}

const float* in(const KernelArray& array) { return static_cast<const float*>(array.data); }
float* out(const KernelArray& array) { return static_cast<float*>(array.data); }

Napi::Value chain_precompose_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ChainLayout layout = read_layout(info[0]);
    const int device = argument_device(info[1], "weights");
    const KernelArray weights = kernel_float32(info[1], "weights", device);
    const KernelArray biases = kernel_float32(info[2], "biases", device);
    const KernelArray matrices = kernel_float32(info[3], "matrices", device);
    const KernelArray offsets = kernel_float32(info[4], "offsets", device);
    expect_length(weights, layout.weight_count, "weights", "Σ_k dims[k+1]·dims[k]");
    expect_length(biases, layout.bias_count, "biases", "Σ_k dims[k+1]");
    expect_length(matrices, layout.matrix_count, "matrices", "dims[n−1]·Σ_k dims[k]");
    expect_length(offsets, layout.classes * static_cast<int64_t>(layout.full()), "offsets", "n·dims[n−1]");
    kernel<ChainPrecomposeKernel>(kChainPrecompose, device)(layout, in(weights), in(biases), out(matrices),
                                                           out(offsets));
    return info.Env().Undefined();
  });
}

Napi::Value chain_forward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ChainLayout layout = read_layout(info[0]);
    const int device = argument_device(info[1], "matrices");
    const KernelArray matrices = kernel_float32(info[1], "matrices", device);
    const KernelArray offsets = kernel_float32(info[2], "offsets", device);
    const KernelArray rows = kernel_float32(info[3], "rows", device);
    const int64_t row_width = read_row_width(info[4], layout);
    const std::vector<int32_t> classes = read_classes(info[5], layout);
    const KernelArray result = kernel_float32(info[6], "out", device);
    const int64_t batch = static_cast<int64_t>(classes.size());
    expect_length(matrices, layout.matrix_count, "matrices", "dims[n−1]·Σ_k dims[k]");
    expect_length(offsets, layout.classes * static_cast<int64_t>(layout.full()), "offsets", "n·dims[n−1]");
    expect_length(rows, batch * row_width, "rows", "sizes.length·rowWidth");
    expect_length(result, batch * layout.full(), "out", "sizes.length·dims[n−1]");
    kernel<ChainForwardKernel>(kChainForward, device)(layout, in(matrices), in(offsets), batch, row_width, in(rows),
                                                     classes.data(), out(result));
    return info.Env().Undefined();
  });
}

// chainStepwiseForward and chainLink share their arguments.
template <typename Signature>
Napi::Value chain_links_binding(const Napi::CallbackInfo& info, const char* name, bool padded_out) {
  return with_js_errors(info.Env(), [&] {
    const ChainLayout layout = read_layout(info[0]);
    const int device = argument_device(info[1], "weights");
    const KernelArray weights = kernel_float32(info[1], "weights", device);
    const KernelArray biases = kernel_float32(info[2], "biases", device);
    const KernelArray rows = kernel_float32(info[3], "rows", device);
    const int64_t row_width = read_row_width(info[4], layout);
    const std::vector<int32_t> classes = read_classes(info[5], layout);
    const KernelArray result = kernel_float32(info[6], "out", device);
    const int64_t batch = static_cast<int64_t>(classes.size());
    expect_length(weights, layout.weight_count, "weights", "Σ_k dims[k+1]·dims[k]");
    expect_length(biases, layout.bias_count, "biases", "Σ_k dims[k+1]");
    expect_length(rows, batch * row_width, "rows", "sizes.length·rowWidth");
    if (padded_out) {
      expect_length(result, batch * row_width, "out", "sizes.length·rowWidth");
    } else {
      expect_length(result, batch * layout.full(), "out", "sizes.length·dims[n−1]");
    }
    kernel<Signature>(name, device)(layout, in(weights), in(biases), batch, row_width, in(rows), classes.data(),
                                    out(result));
    return info.Env().Undefined();
  });
}

Napi::Value chain_stepwise_forward_binding(const Napi::CallbackInfo& info) {
  return chain_links_binding<ChainStepwiseForwardKernel>(info, kChainStepwiseForward, false);
}

Napi::Value chain_link_binding(const Napi::CallbackInfo& info) {
  return chain_links_binding<ChainLinkKernel>(info, kChainLink, true);
}

Napi::Value chain_backward_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const ChainLayout layout = read_layout(info[0]);
    const int device = argument_device(info[1], "weights");
    const KernelArray weights = kernel_float32(info[1], "weights", device);
    const KernelArray biases = kernel_float32(info[2], "biases", device);
    const KernelArray matrices = kernel_float32(info[3], "matrices", device);
    const KernelArray rows = kernel_float32(info[4], "rows", device);
    const int64_t row_width = read_row_width(info[5], layout);
    const std::vector<int32_t> classes = read_classes(info[6], layout);
    const KernelArray dout = kernel_float32(info[7], "dout", device);
    const KernelArray drows = kernel_float32(info[8], "drows", device);
    const KernelArray dweights = kernel_float32(info[9], "dweights", device);
    const KernelArray dbiases = kernel_float32(info[10], "dbiases", device);
    const int64_t batch = static_cast<int64_t>(classes.size());
    expect_length(weights, layout.weight_count, "weights", "Σ_k dims[k+1]·dims[k]");
    expect_length(biases, layout.bias_count, "biases", "Σ_k dims[k+1]");
    expect_length(matrices, layout.matrix_count, "matrices", "dims[n−1]·Σ_k dims[k]");
    expect_length(rows, batch * row_width, "rows", "sizes.length·rowWidth");
    expect_length(dout, batch * layout.full(), "dout", "sizes.length·dims[n−1]");
    expect_length(drows, batch * row_width, "drows", "sizes.length·rowWidth");
    expect_length(dweights, layout.weight_count, "dweights", "weights.length");
    expect_length(dbiases, layout.bias_count, "dbiases", "biases.length");
    kernel<ChainBackwardKernel>(kChainBackward, device)(layout, in(weights), in(biases), in(matrices), batch,
                                                       row_width, in(rows), classes.data(), in(dout), out(drows),
                                                       out(dweights), out(dbiases));
    return info.Env().Undefined();
  });
}

const BindingRegistration precompose("chainPrecompose", &chain_precompose_binding);
const BindingRegistration forward("chainForward", &chain_forward_binding);
const BindingRegistration stepwise("chainStepwiseForward", &chain_stepwise_forward_binding);
const BindingRegistration link("chainLink", &chain_link_binding);
const BindingRegistration backward("chainBackward", &chain_backward_binding);

}  // namespace

}  // namespace mixdim
