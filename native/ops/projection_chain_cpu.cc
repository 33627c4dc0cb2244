// The projection chain on the CPU: the plan of projection_chain_plan.h over the registry's GEMM,
// with row gathers and scatters split over the thread pool.
#include <string.h>

#include <vector>

#include "../kernel_registry.h"
#include "../thread_pool.h"
#include "gemm.h"
#include "projection_chain.h"
#include "projection_chain_plan.h"

namespace mixdim {

namespace {

constexpr int64_t kRowGrain = 64;
constexpr int kScratchSlots = 6;

class CpuChainOps {
 public:
  GemmKernel* gemm = kernel<GemmKernel>(kGemm, -1);

  // Kept between calls and grown on demand, so a call does not page-fault fresh memory in.
  // Ops run one at a time on the JS thread.
  float* floats(int slot, int64_t n) {
    static std::vector<float> scratch[kScratchSlots + 1];
    std::vector<float>& buffer = scratch[slot];
    if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<size_t>(n));
    return buffer.data();
  }
  const int32_t* indices(const int32_t* host, int64_t) { return host; }

  void gather(const float* src, int64_t src_stride, const int32_t* index, int64_t count, int64_t width,
              float* block) {
    ThreadPool::instance().parallel_for(count, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        memcpy(block + i * width, src + static_cast<int64_t>(index[i]) * src_stride, sizeof(float) * width);
      }
    });
  }
  void scatter(const float* block, const int32_t* index, int64_t count, int64_t width, float* dst,
               int64_t dst_stride) {
    ThreadPool::instance().parallel_for(count, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        memcpy(dst + static_cast<int64_t>(index[i]) * dst_stride, block + i * width, sizeof(float) * width);
      }
    });
  }
  void fill(float* dst, int64_t n, float value) {
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }
  void copy(float* dst, const float* src, int64_t n) {
    if (n > 0) memcpy(dst, src, sizeof(float) * n);
  }
  void add(float* dst, const float* src, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  }
  void identity(float* dst, int64_t d) {
    fill(dst, d * d, 0.0f);
    for (int64_t i = 0; i < d; ++i) dst[i * d + i] = 1.0f;
  }
  // M_k transposed once (d_k × full, matrix-sized), then per row out = c_k + Σ_c e_c·M_kᵀ[c, :],
  // whose inner loop runs over contiguous outputs and vectorises.
  void forward_rows(const float* m, const float* c, int64_t dk, int64_t full, const float* rows, int64_t row_width,
                    const int32_t* index, int64_t count, float* out) {
    float* transposed = floats(kScratchSlots, dk * full);
    for (int64_t r = 0; r < full; ++r) {
      for (int64_t col = 0; col < dk; ++col) transposed[col * full + r] = m[r * dk + col];
    }
    ThreadPool::instance().parallel_for(count, kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float* e = rows + static_cast<int64_t>(index[i]) * row_width;
        float* o = out + static_cast<int64_t>(index[i]) * full;
        for (int64_t r = 0; r < full; ++r) o[r] = c[r];
        for (int64_t col = 0; col < dk; ++col) {
          const float value = e[col];
          const float* t = transposed + col * full;
          for (int64_t r = 0; r < full; ++r) o[r] += value * t[r];
        }
      }
    });
  }
};

void chain_precompose_cpu(const ChainLayout& layout, const float* weights, const float* biases, float* matrices,
                          float* offsets) {
  CpuChainOps ops;
  chain_precompose_plan(ops, layout, weights, biases, matrices, offsets);
}

void chain_forward_cpu(const ChainLayout& layout, const float* matrices, const float* offsets, int64_t batch,
                       int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_forward_plan(ops, layout, matrices, offsets, batch, row_width, rows, row_class, out);
}

void chain_stepwise_forward_cpu(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                                int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_stepwise_forward_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
}

void chain_link_cpu(const ChainLayout& layout, const float* weights, const float* biases, int64_t batch,
                    int64_t row_width, const float* rows, const int32_t* row_class, float* out) {
  CpuChainOps ops;
  chain_link_plan(ops, layout, weights, biases, batch, row_width, rows, row_class, out);
}

void chain_backward_cpu(const ChainLayout& layout, const float* weights, const float* biases, const float* matrices,
                        int64_t batch, int64_t row_width, const float* rows, const int32_t* row_class,
                        const float* dout, float* drows, float* dweights, float* dbiases) {
  CpuChainOps ops;
  chain_backward_plan(ops, layout, weights, biases, matrices, batch, row_width, rows, row_class, dout, drows,
                      dweights, dbiases);
}

const KernelRegistration precompose =
    KernelRegistration::of<ChainPrecomposeKernel>(kChainPrecompose, Backend::kCpu, &chain_precompose_cpu);
const KernelRegistration forward =
    KernelRegistration::of<ChainForwardKernel>(kChainForward, Backend::kCpu, &chain_forward_cpu);
const KernelRegistration stepwise =
    KernelRegistration::of<ChainStepwiseForwardKernel>(kChainStepwiseForward, Backend::kCpu,
                                                       &chain_stepwise_forward_cpu);
const KernelRegistration link = KernelRegistration::of<ChainLinkKernel>(kChainLink, Backend::kCpu, &chain_link_cpu);
const KernelRegistration backward =
    KernelRegistration::of<ChainBackwardKernel>(kChainBackward, Backend::kCpu, &chain_backward_cpu);

}  // namespace

}  // namespace mixdim
