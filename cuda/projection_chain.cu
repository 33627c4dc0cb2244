// The projection chain on CUDA: the plan of native/ops/projection_chain_plan.h with the registry's
// GEMM for every product, and grid-stride kernels for the row gathers and scatters around them
// (bandwidth-bound, one read and one write per element). Everything runs on the default stream in
// order; each op synchronises once at its end. No atomics: every output element has one writer.
#include "../native/kernel_registry.h"
#include "../native/kernels/projection_chain.h"
#include "../native/ops/gemm.h"
#include "../native/ops/projection_chain.h"
#include "../native/ops/projection_chain_plan.h"
#include "elementwise_launch.cuh"
#include "per_device.cuh"
#include "scratch_buffer.cuh"

namespace mixdim {
namespace cuda {

namespace {

constexpr int kScratchSlots = 6;

__global__ void gather_kernel(const float* __restrict__ src, int64_t src_stride, const int32_t* __restrict__ index,
                              int64_t width, float* __restrict__ block, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) gather_element(src, src_stride, index, width, block, i);
}

__global__ void scatter_kernel(const float* __restrict__ block, const int32_t* __restrict__ index, int64_t width,
                               float* __restrict__ dst, int64_t dst_stride, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) scatter_element(block, index, width, dst, dst_stride, i);
}

__global__ void fill_kernel(float* __restrict__ dst, int64_t n, float value) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dst[i] = value;
}

__global__ void add_kernel(float* __restrict__ dst, const float* __restrict__ src, int64_t n) {
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dst[i] += src[i];
}

__global__ void identity_kernel(float* __restrict__ dst, int64_t d) {
  const int64_t n = d * d;
  for (int64_t i = grid_thread(); i < n; i += grid_threads()) dst[i] = (i / d == i % d) ? 1.0f : 0.0f;
}

// Thread per (row of the class, output): gather, product and scatter in one pass.
__global__ void forward_rows_kernel(const float* __restrict__ m, const float* __restrict__ c, int64_t dk, int64_t full,
                                    const float* __restrict__ rows, int64_t row_width,
                                    const int32_t* __restrict__ index, float* __restrict__ out, int64_t n) {
  for (int64_t j = grid_thread(); j < n; j += grid_threads()) {
    const int64_t i = j / full;
    const int64_t r = j - i * full;
    out[static_cast<int64_t>(index[i]) * full + r] = chain_row_output(m, c, dk, rows, row_width, index, i, r);
  }
}

// Scratch kept between calls (ops run one at a time on the JS thread).
ScratchBuffer& scratch(int slot) {
  static PerDevice<ScratchBuffer[kScratchSlots + 1]> buffers;
  return buffers.current()[slot];
}

class CudaChainOps {
 public:
  GemmKernel* gemm = kernel<GemmKernel>(kGemm, 0);

  float* floats(int slot, int64_t n) { return scratch(slot).reserve<float>(n > 0 ? n : 1); }
  const int32_t* indices(const int32_t* host, int64_t n) {
    int32_t* device = scratch(kScratchSlots).reserve<int32_t>(n > 0 ? n : 1);
    if (n > 0) check(cudaMemcpy(device, host, sizeof(int32_t) * n, cudaMemcpyHostToDevice), "cudaMemcpy (row order)");
    return device;
  }

  void gather(const float* src, int64_t src_stride, const int32_t* index, int64_t count, int64_t width,
              float* block) {
    const int64_t n = count * width;
    if (n == 0) return;
    gather_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(src, src_stride, index, width, block, n);
    check_launch("gather_kernel");
  }
  void scatter(const float* block, const int32_t* index, int64_t count, int64_t width, float* dst,
               int64_t dst_stride) {
    const int64_t n = count * width;
    if (n == 0) return;
    scatter_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(block, index, width, dst, dst_stride, n);
    check_launch("scatter_kernel");
  }
  void fill(float* dst, int64_t n, float value) {
    if (n == 0) return;
    fill_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(dst, n, value);
    check_launch("fill_kernel");
  }
  void copy(float* dst, const float* src, int64_t n) {
    if (n > 0) check(cudaMemcpy(dst, src, sizeof(float) * n, cudaMemcpyDeviceToDevice), "cudaMemcpy (chain)");
  }
  void add(float* dst, const float* src, int64_t n) {
    if (n == 0) return;
    add_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(dst, src, n);
    check_launch("add_kernel");
  }
  void forward_rows(const float* m, const float* c, int64_t dk, int64_t full, const float* rows, int64_t row_width,
                    const int32_t* index, int64_t count, float* out) {
    const int64_t n = count * full;
    if (n == 0) return;
    forward_rows_kernel<<<elementwise_blocks(n), kElementwiseThreads>>>(m, c, dk, full, rows, row_width, index, out, n);
    check_launch("forward_rows_kernel");
  }
  void identity(float* dst, int64_t d) {
    identity_kernel<<<elementwise_blocks(d * d), kElementwiseThreads>>>(dst, d);
    check_launch("identity_kernel");
  }
};

void chain_precompose_cuda(const ChainLayout& layout, const float* weights, const float* biases, float* matrices,
                           float* offsets) {
  CudaChainOps ops;
  chain_precompose_plan(ops, layout, weights, biases, matrices, offsets);
  finish("chain_precompose");
}

void chain_forward_cuda(const ChainLayout& layout, const float* matrices, const float* offsets, int64_t batch,
                        int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CudaChainOps ops;
  chain_forward_plan(ops, layout, matrices, offsets, batch, row_width, rows, row_class, out);
  finish("chain_forward");
}

void chain_stepwise_forward_cuda(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                                 int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CudaChainOps ops;
  chain_stepwise_forward_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
  finish("chain_stepwise_forward");
}

void chain_link_cuda(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                     int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CudaChainOps ops;
  chain_link_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
  finish("chain_link");
}

void chain_backward_cuda(const ChainLayout& layout, const float* weights, const float* biases, const float* matrices,
                         int64_t batch, int64_t row_width, const float* rows, const int32_t* row_class,
                         const float* dout, float* drows, float* dweights, float* dbiases) {
  CudaChainOps ops;
  chain_backward_plan(ops, layout, weights, biases, matrices, batch, row_width, rows, row_class, dout, drows,
                      dweights, dbiases);
  finish("chain_backward");
}

const KernelRegistration precompose =
    KernelRegistration::of<ChainPrecomposeKernel>(kChainPrecompose, Backend::kCuda, &chain_precompose_cuda);
const KernelRegistration forward =
    KernelRegistration::of<ChainForwardKernel>(kChainForward, Backend::kCuda, &chain_forward_cuda);
const KernelRegistration stepwise =
    KernelRegistration::of<ChainStepwiseForwardKernel>(kChainStepwiseForward, Backend::kCuda,
                                                       &chain_stepwise_forward_cuda);
const KernelRegistration link = KernelRegistration::of<ChainLinkKernel>(kChainLink, Backend::kCuda, &chain_link_cuda);
const KernelRegistration backward =
    KernelRegistration::of<ChainBackwardKernel>(kChainBackward, Backend::kCuda, &chain_backward_cuda);

}  // namespace

}  // namespace cuda
}  // namespace mixdim
