// The Gumbel-softmax mixture on CUDA, with the arithmetic of native/kernels/gumbel_mixture.h.
//   weights, noise:  one thread per field (F·M values; launch-bound, not worth more)
//   weighted sum:    one thread per output element, looping over the M candidates (bandwidth-bound)
//   its backward:    one block per (chunk of kMixtureChunkRows rows, field, candidate) writes dh and a
//                    partial ⟨dout, h⟩ by a fixed-shape tree reduction; a second pass sums the
//                    partials in chunk order. No atomics: dw does not depend on the grid.
//   projections:     the plans of native/ops/gumbel_mixture_plan.h with the registry's GEMM, and
//                    grid-stride kernels for the matrix-sized combine/distribute steps.
#include "../native/kernel_registry.h"
#include "../native/kernels/gumbel_mixture.h"
#include "../native/ops/gemm.h"
#include "../native/ops/gumbel_mixture.h"
#include "../native/ops/gumbel_mixture_plan.h"
#include "elementwise_launch.cuh"
#include "per_device.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kReduceThreads = 256;
constexpr int64_t kMaxReduceBlocks = 65535;
constexpr int kScratchSlots = 5;

ScratchBuffer& scratch(int slot) {
  static PerDevice<ScratchBuffer[kScratchSlots + 1]> buffers;
  return buffers.current()[slot];
}

unsigned int reduce_blocks(int64_t blocks) {
  return static_cast<unsigned int>(blocks < 1 ? 1 : (blocks < kMaxReduceBlocks ? blocks : kMaxReduceBlocks));
}

// The sum of `value` over the block's kReduceThreads threads, in a fixed tree order; every thread
// may reuse `shared` once this returns.
__device__ float block_sum(float value, float* shared) {
  const int t = threadIdx.x;
  shared[t] = value;
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    if (t < stride) shared[t] += shared[t + stride];
    __syncthreads();
  }
  const float total = shared[0];
  __syncthreads();
  return total;
}

__global__ void gumbel_noise_kernel(int64_t fields, int64_t candidates, uint64_t seed, uint32_t step,
                                    float* __restrict__ noise) {
  const int64_t n = fields * candidates;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    noise[i] = gumbel_noise(seed, step, static_cast<uint32_t>(i / candidates), static_cast<uint32_t>(i % candidates));
  }
}

__global__ void mixture_weights_kernel(int64_t fields, int64_t candidates, const float* __restrict__ log_alpha,
                                       float tau, int32_t mode, uint64_t seed, uint32_t step, float* __restrict__ p,
                                       float* __restrict__ w) {
  for (int64_t f = grid_thread(); f < fields; f += grid_threads()) {
    const int64_t at = f * candidates;
    mixture_weights_field(mode, tau, seed, step, static_cast<uint32_t>(f), candidates, log_alpha + at, p + at, w + at);
  }
}

__global__ void mixture_weights_backward_kernel(int64_t fields, int64_t candidates, const float* __restrict__ p,
                                                const float* __restrict__ dw, float tau,
                                                float* __restrict__ dlog_alpha) {
  for (int64_t f = grid_thread(); f < fields; f += grid_threads()) {
    const int64_t at = f * candidates;
    mixture_weights_backward_field(tau, candidates, p + at, dw + at, dlog_alpha + at);
  }
}

__global__ void weighted_sum_kernel(int64_t batch, int64_t fields, int64_t candidates, int64_t dim,
                                    const float* __restrict__ h, const float* __restrict__ w,
                                    float* __restrict__ out) {
  const int64_t n = batch * fields * dim;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    const int64_t row = i / dim;  // b·F + f
    const int64_t d = i - row * dim;
    const int64_t f = row % fields;
    const float* hr = h + row * candidates * dim + d;
    float total = 0.0f;
    for (int64_t m = 0; m < candidates; ++m) total += w[f * candidates + m] * hr[m * dim];
    out[i] = total;
  }
}

// Block (chunk, pair): dh for the chunk's rows of that (f, m), and partial[chunk, pair] = Σ ⟨dout, h⟩.
__global__ void weighted_sum_backward_kernel(int64_t batch, int64_t fields, int64_t candidates, int64_t dim,
                                             const float* __restrict__ h, const float* __restrict__ w,
                                             const float* __restrict__ dout, float* __restrict__ dh,
                                             float* __restrict__ partial, int64_t blocks) {
  __shared__ float shared[kReduceThreads];
  const int64_t pairs = fields * candidates;
  for (int64_t block = blockIdx.x; block < blocks; block += gridDim.x) {
    const int64_t chunk = block / pairs;
    const int64_t pair = block - chunk * pairs;
    const int64_t f = pair / candidates;
    const int64_t first = chunk * kMixtureChunkRows;
    const int64_t rows = (batch - first < kMixtureChunkRows ? batch - first : kMixtureChunkRows);
    const float weight = w[pair];
    float total = 0.0f;
    for (int64_t i = threadIdx.x; i < rows * dim; i += kReduceThreads) {
      const int64_t b = first + i / dim;
      const int64_t d = i % dim;
      const float g = dout[(b * fields + f) * dim + d];
      const int64_t at = (b * pairs + pair) * dim + d;
      dh[at] = weight * g;
      total += g * h[at];
    }
    total = block_sum(total, shared);
    if (threadIdx.x == 0) partial[block] = total;
  }
}

__global__ void sum_partials_kernel(const float* __restrict__ partial, int64_t chunks, int64_t pairs,
                                    float* __restrict__ dw) {
  for (int64_t pair = grid_thread(); pair < pairs; pair += grid_threads()) {
    float total = 0.0f;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partial[chunk * pairs + pair];
    dw[pair] = total;
  }
}

__global__ void fill_kernel(float* __restrict__ dst, int64_t n, float value) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dst[i] = value;
}

__global__ void combine_weights_kernel(MixtureLayout layout, const float* __restrict__ weights,
                                       const float* __restrict__ w, float* __restrict__ combined) {
  const int64_t n = layout.fields * layout.dim * layout.input_width;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    const int64_t row = i / layout.input_width;
    const int64_t col = i - row * layout.input_width;
    const int64_t f = row / layout.dim;
    combined[i] = mixture_combined_weight(layout, weights, w, f, row - f * layout.dim, col);
  }
}

__global__ void combine_biases_kernel(MixtureLayout layout, const float* __restrict__ biases,
                                      const float* __restrict__ w, float* __restrict__ combined_bias) {
  const int64_t n = layout.fields * layout.dim;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    const int64_t f = i / layout.dim;
    combined_bias[i] = mixture_combined_bias(layout, biases, w, f, i - f * layout.dim);
  }
}

__global__ void weight_gradient_kernel(MixtureLayout layout, const float* __restrict__ sums,
                                       const float* __restrict__ w, float* __restrict__ dweights) {
  const int64_t n = layout.fields * layout.dim * layout.weight_width;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    const int64_t row = i / layout.weight_width;
    const int64_t s = i - row * layout.weight_width;
    const int64_t f = row / layout.dim;
    dweights[i] = mixture_weight_gradient(layout, sums, w, f, row - f * layout.dim, s);
  }
}

__global__ void bias_gradient_kernel(MixtureLayout layout, const float* __restrict__ grad_sum,
                                     const float* __restrict__ w, float* __restrict__ dbiases) {
  const int64_t n = layout.fields * layout.candidates * layout.dim;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) {
    const int64_t pair = i / layout.dim;
    const int64_t r = i - pair * layout.dim;
    const int64_t f = pair / layout.candidates;
    dbiases[i] = w[pair] * grad_sum[f * layout.dim + r];
  }
}

// One block per (f, m): dw_fm = ⟨G_f[:, block m], W_fm⟩ + ⟨g_f, b_fm⟩.
__global__ void alpha_gradient_kernel(MixtureLayout layout, const float* __restrict__ sums,
                                      const float* __restrict__ grad_sum, const float* __restrict__ weights,
                                      const float* __restrict__ biases, float* __restrict__ dw) {
  __shared__ float shared[kReduceThreads];
  const int64_t pairs = layout.fields * layout.candidates;
  for (int64_t pair = blockIdx.x; pair < pairs; pair += gridDim.x) {
    const int64_t f = pair / layout.candidates;
    const int64_t m = pair - f * layout.candidates;
    const int64_t terms = layout.dim * layout.dims[m] + layout.dim;
    float total = 0.0f;
    for (int64_t i = threadIdx.x; i < terms; i += kReduceThreads) {
      total += mixture_alpha_term(layout, sums, grad_sum, weights, biases, f, m, i);
    }
    total = block_sum(total, shared);
    if (threadIdx.x == 0) dw[pair] = total;
  }
}

void gumbel_noise_cuda(int64_t fields, int64_t candidates, uint64_t seed, uint32_t step, float* noise) {
  const int64_t n = fields * candidates;
  if (n == 0) return;
  gumbel_noise_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(fields, candidates, seed, step, noise);
  finish("gumbel_noise_kernel");
}

void mixture_weights_cuda(int64_t fields, int64_t candidates, const float* log_alpha, float tau, int32_t mode,
                          uint64_t seed, uint32_t step, float* p, float* w) {
  if (fields == 0) return;
  mixture_weights_kernel<<<elementwise_blocks(fields), kElementwiseThreads>>>(fields, candidates, log_alpha, tau, mode,
                                                                             seed, step, p, w);
  finish("mixture_weights_kernel");
}

void mixture_weights_backward_cuda(int64_t fields, int64_t candidates, const float* p, const float* dw, float tau,
                                   float* dlog_alpha) {
  if (fields == 0) return;
  mixture_weights_backward_kernel<<<elementwise_blocks(fields), kElementwiseThreads>>>(fields, candidates, p, dw, tau,
                                                                                      dlog_alpha);
  finish("mixture_weights_backward_kernel");
}

void weighted_sum_cuda(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h, const float* w,
                       float* out) {
  const int64_t n = batch * fields * dim;
  if (n == 0) return;
  weighted_sum_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(batch, fields, candidates, dim, h, w, out);
  finish("weighted_sum_kernel");
}

void weighted_sum_backward_cuda(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h,
                                const float* w, const float* dout, float* dh, float* dw) {
  const int64_t pairs = fields * candidates;
  if (pairs == 0) return;
  if (batch == 0) {
    fill_kernel<<<elementwise_blocks(pairs), kElementwiseThreads>>>(dw, pairs, 0.0f);
    finish("fill_kernel");
    return;
  }
  const int64_t chunks = (batch + kMixtureChunkRows - 1) / kMixtureChunkRows;
  const int64_t blocks = chunks * pairs;
  float* partial = scratch(kScratchSlots).reserve<float>(blocks);
  weighted_sum_backward_kernel<<<reduce_blocks(blocks), kReduceThreads>>>(batch, fields, candidates, dim, h, w, dout,
                                                                         dh, partial, blocks);
  check_launch("weighted_sum_backward_kernel");
  sum_partials_kernel<<<elementwise_blocks(pairs), kElementwiseThreads>>>(partial, chunks, pairs, dw);
  finish("sum_partials_kernel");
}

class CudaMixtureOps {
 public:
  GemmKernel* gemm = kernel<GemmKernel>(kGemm, 0);

  float* floats(int slot, int64_t n) { return scratch(slot).reserve<float>(n > 0 ? n : 1); }
  void fill(float* dst, int64_t n, float value) {
    if (n == 0) return;
    fill_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(dst, n, value);
    check_launch("fill_kernel");
  }
  void combine(const MixtureLayout& L, const float* weights, const float* biases, const float* w, float* combined,
               float* combined_bias) {
    combine_weights_kernel<<<elementwise_blocks(L.fields * L.dim * L.input_width), kElementwiseThreads>>>(
        L, weights, w, combined);
    check_launch("combine_weights_kernel");
    combine_biases_kernel<<<elementwise_blocks(L.fields * L.dim), kElementwiseThreads>>>(L, biases, w, combined_bias);
    check_launch("combine_biases_kernel");
  }
  void distribute(const MixtureLayout& L, const float* weights, const float* biases, const float* w,
                  const float* sums, const float* grad_sum, float* dweights, float* dbiases, float* dw) {
    weight_gradient_kernel<<<elementwise_blocks(L.fields * L.dim * L.weight_width), kElementwiseThreads>>>(
        L, sums, w, dweights);
    check_launch("weight_gradient_kernel");
    bias_gradient_kernel<<<elementwise_blocks(L.fields * L.candidates * L.dim), kElementwiseThreads>>>(
        L, grad_sum, w, dbiases);
    check_launch("bias_gradient_kernel");
    alpha_gradient_kernel<<<reduce_blocks(L.fields * L.candidates), kReduceThreads>>>(L, sums, grad_sum, weights,
                                                                                     biases, dw);
    check_launch("alpha_gradient_kernel");
  }
};

void candidate_projection_cuda(const MixtureLayout& layout, const float* e, const float* weights,
                               const float* biases, float* h) {
  CudaMixtureOps ops;
  candidate_projection_plan(ops, layout, e, weights, biases, h);
  finish("candidate_projection");
}

void candidate_projection_backward_cuda(const MixtureLayout& layout, const float* e, const float* weights,
                                        const float* dh, float* de, float* dweights, float* dbiases) {
  CudaMixtureOps ops;
  candidate_projection_backward_plan(ops, layout, e, weights, dh, de, dweights, dbiases);
  finish("candidate_projection_backward");
}

void project_and_mix_cuda(const MixtureLayout& layout, const float* e, const float* weights, const float* biases,
                          const float* w, float* out) {
  CudaMixtureOps ops;
  project_and_mix_plan(ops, layout, e, weights, biases, w, out);
  finish("project_and_mix");
}

void project_and_mix_backward_cuda(const MixtureLayout& layout, const float* e, const float* weights,
                                   const float* biases, const float* w, const float* dout, float* de,
                                   float* dweights, float* dbiases, float* dw) {
  CudaMixtureOps ops;
  project_and_mix_backward_plan(ops, layout, e, weights, biases, w, dout, de, dweights, dbiases, dw);
  finish("project_and_mix_backward");
}

const KernelRegistration noise =
    KernelRegistration::of<GumbelNoiseKernel>(kGumbelNoise, Backend::kCuda, &gumbel_noise_cuda);
const KernelRegistration weights =
    KernelRegistration::of<MixtureWeightsKernel>(kMixtureWeights, Backend::kCuda, &mixture_weights_cuda);
const KernelRegistration weights_backward = KernelRegistration::of<MixtureWeightsBackwardKernel>(
    kMixtureWeightsBackward, Backend::kCuda, &mixture_weights_backward_cuda);
const KernelRegistration sum =
    KernelRegistration::of<WeightedSumKernel>(kWeightedSum, Backend::kCuda, &weighted_sum_cuda);
const KernelRegistration sum_backward = KernelRegistration::of<WeightedSumBackwardKernel>(
    kWeightedSumBackward, Backend::kCuda, &weighted_sum_backward_cuda);
const KernelRegistration projection = KernelRegistration::of<CandidateProjectionKernel>(
    kCandidateProjection, Backend::kCuda, &candidate_projection_cuda);
const KernelRegistration projection_backward = KernelRegistration::of<CandidateProjectionBackwardKernel>(
    kCandidateProjectionBackward, Backend::kCuda, &candidate_projection_backward_cuda);
const KernelRegistration mix =
    KernelRegistration::of<ProjectAndMixKernel>(kProjectAndMix, Backend::kCuda, &project_and_mix_cuda);
const KernelRegistration mix_backward = KernelRegistration::of<ProjectAndMixBackwardKernel>(
    kProjectAndMixBackward, Backend::kCuda, &project_and_mix_backward_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
