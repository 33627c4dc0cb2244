// The Gumbel-softmax mixture on the CPU: per-field weights in a loop (F·M values), the weighted
// sum over the thread pool, and the projection plans of gumbel_mixture_plan.h over the registry's
// GEMM. Reductions run over fixed chunks of the batch in double and are summed in chunk order,
// so results do not depend on the thread count.
#include <algorithm>
#include <vector>

#include "../kernel_registry.h"
#include "../kernels/gumbel_mixture.h"
#include "../thread_pool.h"
#include "gemm.h"
#include "gumbel_mixture.h"
#include "gumbel_mixture_plan.h"

namespace mixdim {

namespace {

constexpr int64_t kRowGrain = 64;
constexpr int kScratchSlots = 5;

void gumbel_noise_cpu(int64_t fields, int64_t candidates, uint64_t seed, uint32_t step, float* noise) {
  for (int64_t f = 0; f < fields; ++f) {
    for (int64_t m = 0; m < candidates; ++m) {
      noise[f * candidates + m] =
          gumbel_noise(seed, step, static_cast<uint32_t>(f), static_cast<uint32_t>(m));
    }
  }
}

void mixture_weights_cpu(int64_t fields, int64_t candidates, const float* log_alpha, float tau, int32_t mode,
                         uint64_t seed, uint32_t step, float* p, float* w) {
  for (int64_t f = 0; f < fields; ++f) {
    const int64_t at = f * candidates;
    mixture_weights_field(mode, tau, seed, step, static_cast<uint32_t>(f), candidates, log_alpha + at, p + at, w + at);
  }
}

void mixture_weights_backward_cpu(int64_t fields, int64_t candidates, const float* p, const float* dw, float tau,
                                  float* dlog_alpha) {
  for (int64_t f = 0; f < fields; ++f) {
    const int64_t at = f * candidates;
    mixture_weights_backward_field(tau, candidates, p + at, dw + at, dlog_alpha + at);
  }
}

void weighted_sum_cpu(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h, const float* w,
                      float* out) {
  ThreadPool::instance().parallel_for(batch * fields, kRowGrain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t f = row % fields;
      float* o = out + row * dim;
      const float* hb = h + row * candidates * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] = 0.0f;
      for (int64_t m = 0; m < candidates; ++m) {
        const float weight = w[f * candidates + m];
        const float* hm = hb + m * dim;
        for (int64_t d = 0; d < dim; ++d) o[d] += weight * hm[d];
      }
    }
  });
}

void weighted_sum_backward_cpu(int64_t batch, int64_t fields, int64_t candidates, int64_t dim, const float* h,
                               const float* w, const float* dout, float* dh, float* dw) {
  const int64_t pairs = fields * candidates;
  const int64_t chunks = (batch + kMixtureChunkRows - 1) / kMixtureChunkRows;
  std::vector<double> partial(static_cast<size_t>(chunks * pairs), 0.0);
  ThreadPool::instance().parallel_for(chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      double* sums = partial.data() + chunk * pairs;
      const int64_t last = std::min(batch, (chunk + 1) * kMixtureChunkRows);
      for (int64_t b = chunk * kMixtureChunkRows; b < last; ++b) {
        for (int64_t pair = 0; pair < pairs; ++pair) {
          const float* g = dout + (b * fields + pair / candidates) * dim;
          const float* hm = h + (b * pairs + pair) * dim;
          float* dhm = dh + (b * pairs + pair) * dim;
          const float weight = w[pair];
          double total = 0.0;
          for (int64_t d = 0; d < dim; ++d) {
            dhm[d] = weight * g[d];
            total += static_cast<double>(g[d]) * hm[d];
          }
          sums[pair] += total;
        }
      }
    }
  });
  for (int64_t pair = 0; pair < pairs; ++pair) {
    double total = 0.0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) total += partial[static_cast<size_t>(chunk * pairs + pair)];
    dw[pair] = static_cast<float>(total);
  }
}

class CpuMixtureOps {
 public:
  GemmKernel* gemm = kernel<GemmKernel>(kGemm, -1);

  // Kept between calls and grown on demand (ops run one at a time on the JS thread).
  float* floats(int slot, int64_t n) {
    static std::vector<float> scratch[kScratchSlots];
    std::vector<float>& buffer = scratch[slot];
    if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<size_t>(n));
    return buffer.data();
  }
  void fill(float* dst, int64_t n, float value) {
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }
  void combine(const MixtureLayout& L, const float* weights, const float* biases, const float* w, float* combined,
               float* combined_bias) {
    ThreadPool::instance().parallel_for(L.fields * L.dim, 16, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t f = row / L.dim;
        const int64_t r = row - f * L.dim;
        for (int64_t col = 0; col < L.input_width; ++col) {
          combined[row * L.input_width + col] = mixture_combined_weight(L, weights, w, f, r, col);
        }
        combined_bias[row] = mixture_combined_bias(L, biases, w, f, r);
      }
    });
  }
  void distribute(const MixtureLayout& L, const float* weights, const float* biases, const float* w,
                  const float* sums, const float* grad_sum, float* dweights, float* dbiases, float* dw) {
    ThreadPool::instance().parallel_for(L.fields, 1, [&](int64_t begin, int64_t end) {
      for (int64_t f = begin; f < end; ++f) {
        for (int64_t r = 0; r < L.dim; ++r) {
          for (int64_t s = 0; s < L.weight_width; ++s) {
            dweights[(f * L.dim + r) * L.weight_width + s] = mixture_weight_gradient(L, sums, w, f, r, s);
          }
        }
        for (int64_t m = 0; m < L.candidates; ++m) {
          const float weight = w[f * L.candidates + m];
          for (int64_t r = 0; r < L.dim; ++r) {
            dbiases[(f * L.candidates + m) * L.dim + r] = weight * grad_sum[f * L.dim + r];
          }
          const int64_t terms = L.dim * L.dims[m] + L.dim;
          double total = 0.0;
          for (int64_t i = 0; i < terms; ++i) total += mixture_alpha_term(L, sums, grad_sum, weights, biases, f, m, i);
          dw[f * L.candidates + m] = static_cast<float>(total);
        }
      }
    });
  }
};

void candidate_projection_cpu(const MixtureLayout& layout, const float* e, const float* weights, const float* biases,
                              float* h) {
  CpuMixtureOps ops;
  candidate_projection_plan(ops, layout, e, weights, biases, h);
}

void candidate_projection_backward_cpu(const MixtureLayout& layout, const float* e, const float* weights,
                                       const float* dh, float* de, float* dweights, float* dbiases) {
  CpuMixtureOps ops;
  candidate_projection_backward_plan(ops, layout, e, weights, dh, de, dweights, dbiases);
}

void project_and_mix_cpu(const MixtureLayout& layout, const float* e, const float* weights, const float* biases,
                         const float* w, float* out) {
  CpuMixtureOps ops;
  project_and_mix_plan(ops, layout, e, weights, biases, w, out);
}

void project_and_mix_backward_cpu(const MixtureLayout& layout, const float* e, const float* weights,
                                  const float* biases, const float* w, const float* dout, float* de, float* dweights,
                                  float* dbiases, float* dw) {
  CpuMixtureOps ops;
  project_and_mix_backward_plan(ops, layout, e, weights, biases, w, dout, de, dweights, dbiases, dw);
}

const KernelRegistration noise =
    KernelRegistration::of<GumbelNoiseKernel>(kGumbelNoise, Backend::kCpu, &gumbel_noise_cpu);
const KernelRegistration weights =
    KernelRegistration::of<MixtureWeightsKernel>(kMixtureWeights, Backend::kCpu, &mixture_weights_cpu);
const KernelRegistration weights_backward = KernelRegistration::of<MixtureWeightsBackwardKernel>(
    kMixtureWeightsBackward, Backend::kCpu, &mixture_weights_backward_cpu);
const KernelRegistration sum = KernelRegistration::of<WeightedSumKernel>(kWeightedSum, Backend::kCpu, &weighted_sum_cpu);
const KernelRegistration sum_backward =
    KernelRegistration::of<WeightedSumBackwardKernel>(kWeightedSumBackward, Backend::kCpu, &weighted_sum_backward_cpu);
const KernelRegistration projection =
    KernelRegistration::of<CandidateProjectionKernel>(kCandidateProjection, Backend::kCpu, &candidate_projection_cpu);
const KernelRegistration projection_backward = KernelRegistration::of<CandidateProjectionBackwardKernel>(
    kCandidateProjectionBackward, Backend::kCpu, &candidate_projection_backward_cpu);
const KernelRegistration mix = KernelRegistration::of<ProjectAndMixKernel>(kProjectAndMix, Backend::kCpu,
                                                                           &project_and_mix_cpu);
const KernelRegistration mix_backward = KernelRegistration::of<ProjectAndMixBackwardKernel>(
    kProjectAndMixBackward, Backend::kCpu, &project_and_mix_backward_cpu);

}  // namespace

}  // namespace mixdim
