// Batch norm on the CPU. Column sums cut the rows into blocks whose size depends on N alone (at
// least kRowBlock rows, at most kMaxBlocks blocks, so the partials stay small): each block sums its
// rows in order into a partial per feature (contiguous, so it vectorises), and the partials are
// added in block order, so the statistics do not depend on the thread count. The elementwise
// passes split the rows over the thread pool.
#include <algorithm>
#include <vector>

#include "../cpu_clones.h"
#include "../kernel_registry.h"
#include "../kernels/batch_norm.h"
#include "../thread_pool.h"
#include "batch_norm.h"

namespace mixdim {

namespace {

constexpr int64_t kRowBlock = 64;
constexpr int64_t kMaxBlocks = 256;
constexpr int64_t kElementGrain = 1 << 15;

// total[j] = Σ_i contribution of row i to column j, for width columns; add_rows(first, end, acc)
// adds the contributions of rows [first, end) into acc[0..width), in row order.
template <typename AddRows>
std::vector<double> column_sums(int64_t n, int64_t width, const AddRows& add_rows) {
  const int64_t rows_per_block = std::max(kRowBlock, (n + kMaxBlocks - 1) / kMaxBlocks);
  const int64_t blocks = (n + rows_per_block - 1) / rows_per_block;
  std::vector<double> partial(static_cast<size_t>(blocks * width), 0.0);
  const int64_t grain = std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, rows_per_block * width));
  ThreadPool::instance().parallel_for(blocks, grain, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      add_rows(b * rows_per_block, std::min(n, (b + 1) * rows_per_block), partial.data() + b * width);
    }
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    const double* acc = partial.data() + b * width;
    for (int64_t j = 0; j < width; ++j) total[j] += acc[j];
  }
  return total;
}

void for_rows(int64_t n, int64_t c, const ThreadPool::RangeFn& fn) {
  ThreadPool::instance().parallel_for(n, std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, c)), fn);
}

// The row loops, each a plain function so that it is compiled per instruction set (cpu_clones.h).

// acc[j] += x_ij − o_j and acc[c + j] += (x_ij − o_j)² for rows [first, end): the moments about an
// origin o, in one pass over x (a centred second pass would read x again). With o_j a value of
// column j (its first row), σ² = Σ(x − o)²/N − (Σ(x − o)/N)² in double has a relative error of
// about N·2⁻⁵³·(1 + (μ − o)²/σ²): below float's 2⁻²⁴ unless that row lies some 10³ standard
// deviations from the mean (N = 500).
MIXDIM_CPU_CLONES void add_moments_about(const float* __restrict x, int64_t c, const float* __restrict origin,
                                         int64_t first, int64_t end, double* __restrict acc) {
  for (int64_t i = first; i < end; ++i) {
    const float* row = x + i * c;
    for (int64_t j = 0; j < c; ++j) {
      const double shifted = static_cast<double>(row[j]) - static_cast<double>(origin[j]);
      acc[j] += shifted;
      acc[c + j] += shifted * shifted;
    }
  }
}

// The activation is a template parameter in the three loops below, so that each instance is one
// branch-free loop the compiler vectorises; y is read only with an activation.

// acc[j] += g_ij, acc[c + j] += g_ij · x̂_ij for rows [first, end), g = dy taken through the activation
template <int32_t Activation>
MIXDIM_CPU_CLONES void add_backward_sums(const float* __restrict x, const float* __restrict dy,
                                         const float* __restrict y, int64_t c, const float* __restrict mean,
                                         const float* __restrict invstd, int64_t first, int64_t end,
                                         double* __restrict acc) {
  for (int64_t i = first; i < end; ++i) {
    const float* x_row = x + i * c;
    const float* dy_row = dy + i * c;
    const float* y_row = Activation == kBatchNormIdentity ? nullptr : y + i * c;
    for (int64_t j = 0; j < c; ++j) {
      const float g = Activation == kBatchNormIdentity ? dy_row[j] : batch_norm_activation_grad(dy_row[j], y_row[j], Activation);
      acc[j] += g;
      acc[c + j] += static_cast<double>(g) * batch_norm_normalized(x_row[j], mean[j], invstd[j]);
    }
  }
}

// y = act(γ·x̂ + β) for rows [first, end); scale and shift are γ and β, or 1 and 0 without them.
template <int32_t Activation>
MIXDIM_CPU_CLONES void normalize_rows(const float* __restrict x, int64_t c, const float* __restrict mean,
                                      const float* __restrict invstd, const float* __restrict scale,
                                      const float* __restrict shift, int64_t first, int64_t end, float* __restrict y) {
  for (int64_t i = first; i < end; ++i) {
    const float* in = x + i * c;
    float* out = y + i * c;
    for (int64_t j = 0; j < c; ++j) {
      out[j] = batch_norm_activate(batch_norm_output(in[j], mean[j], invstd[j], scale[j], shift[j]), Activation);
    }
  }
}

// dx for rows [first, end), with gamma_invstd[j] = γ_j · invstd_j
template <int32_t Activation>
MIXDIM_CPU_CLONES void input_grad_rows(const float* __restrict x, const float* __restrict dy,
                                       const float* __restrict y, int64_t c, const float* __restrict mean,
                                       const float* __restrict invstd, const float* __restrict gamma_invstd,
                                       const float* __restrict mean_dy, const float* __restrict mean_dy_xhat,
                                       int64_t first, int64_t end, float* __restrict dx) {
  for (int64_t i = first; i < end; ++i) {
    const float* x_row = x + i * c;
    const float* dy_row = dy + i * c;
    const float* y_row = Activation == kBatchNormIdentity ? nullptr : y + i * c;
    float* dx_row = dx + i * c;
    for (int64_t j = 0; j < c; ++j) {
      const float g = Activation == kBatchNormIdentity ? dy_row[j] : batch_norm_activation_grad(dy_row[j], y_row[j], Activation);
      dx_row[j] = batch_norm_input_grad(g, batch_norm_normalized(x_row[j], mean[j], invstd[j]), gamma_invstd[j],
                                        mean_dy[j], mean_dy_xhat[j]);
    }
  }
}

void batch_norm_forward_cpu(bool training, const float* x, const float* gamma, const float* beta,
                            float* running_mean, float* running_var, float* y, float* save_mean, float* save_invstd,
                            int64_t n, int64_t c, float eps, float momentum, int32_t activation) {
  if (training) {
    const float* origin = x;  // the first row
    const std::vector<double> moments = column_sums(n, 2 * c, [&](int64_t first, int64_t end, double* acc) {
      add_moments_about(x, c, origin, first, end, acc);
    });
    for (int64_t j = 0; j < c; ++j) {
      const double shifted_mean = moments[j] / static_cast<double>(n);
      const double mean = origin[j] + shifted_mean;
      const double variance = std::max(0.0, moments[c + j] / static_cast<double>(n) - shifted_mean * shifted_mean);
      save_mean[j] = static_cast<float>(mean);
      save_invstd[j] = static_cast<float>(batch_norm_invstd(variance, eps));
      if (running_mean != nullptr) {
        running_mean[j] = batch_norm_running(running_mean[j], mean, momentum);
        running_var[j] = batch_norm_running(running_var[j], batch_norm_unbiased(variance, n), momentum);
      }
    }
  } else {
    for (int64_t j = 0; j < c; ++j) {
      save_mean[j] = running_mean[j];
      save_invstd[j] = static_cast<float>(batch_norm_invstd(running_var[j], eps));
    }
  }
  const std::vector<float> ones(gamma == nullptr ? static_cast<size_t>(c) : 0, 1.0f);
  const std::vector<float> zeros(beta == nullptr ? static_cast<size_t>(c) : 0, 0.0f);
  const float* scale = gamma != nullptr ? gamma : ones.data();
  const float* shift = beta != nullptr ? beta : zeros.data();
  for_rows(n, c, [&](int64_t begin, int64_t end) {
    if (activation == kBatchNormTanh) {
      normalize_rows<kBatchNormTanh>(x, c, save_mean, save_invstd, scale, shift, begin, end, y);
    } else {
      normalize_rows<kBatchNormIdentity>(x, c, save_mean, save_invstd, scale, shift, begin, end, y);
    }
  });
}

void batch_norm_backward_cpu(bool training, const float* x, const float* dy, const float* gamma,
                             const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                             int64_t n, int64_t c, int32_t activation, const float* y) {
  const bool tanh = activation == kBatchNormTanh;
  std::vector<float> mean_dy(static_cast<size_t>(c), 0.0f);
  std::vector<float> mean_dy_xhat(static_cast<size_t>(c), 0.0f);
  if (training || dgamma != nullptr) {
    // sums[j] = Σdy, sums[c + j] = Σdy·x̂
    const std::vector<double> sums = column_sums(n, 2 * c, [&](int64_t first, int64_t end, double* acc) {
      if (tanh) {
        add_backward_sums<kBatchNormTanh>(x, dy, y, c, save_mean, save_invstd, first, end, acc);
      } else {
        add_backward_sums<kBatchNormIdentity>(x, dy, y, c, save_mean, save_invstd, first, end, acc);
      }
    });
    for (int64_t j = 0; j < c; ++j) {
      if (dgamma != nullptr) {
        dbeta[j] = static_cast<float>(sums[j]);
        dgamma[j] = static_cast<float>(sums[c + j]);
      }
      if (training) {
        mean_dy[j] = static_cast<float>(sums[j] / static_cast<double>(n));
        mean_dy_xhat[j] = static_cast<float>(sums[c + j] / static_cast<double>(n));
      }
    }
  }
  std::vector<float> gamma_invstd(static_cast<size_t>(c));
  for (int64_t j = 0; j < c; ++j) gamma_invstd[j] = (gamma != nullptr ? gamma[j] : 1.0f) * save_invstd[j];
  for_rows(n, c, [&](int64_t begin, int64_t end) {
    if (tanh) {
      input_grad_rows<kBatchNormTanh>(x, dy, y, c, save_mean, save_invstd, gamma_invstd.data(), mean_dy.data(),
                                      mean_dy_xhat.data(), begin, end, dx);
    } else {
      input_grad_rows<kBatchNormIdentity>(x, dy, y, c, save_mean, save_invstd, gamma_invstd.data(), mean_dy.data(),
                                          mean_dy_xhat.data(), begin, end, dx);
    }
  });
}

const KernelRegistration forward =
    KernelRegistration::of<BatchNormForwardKernel>(kBatchNormForward, Backend::kCpu, &batch_norm_forward_cpu);
const KernelRegistration backward =
    KernelRegistration::of<BatchNormBackwardKernel>(kBatchNormBackward, Backend::kCpu, &batch_norm_backward_cpu);

}  // namespace

}  // namespace mixdim
