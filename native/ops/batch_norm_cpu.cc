// Batch norm on the CPU. Column sums cut the rows into blocks whose size depends on N alone (at
// least kRowBlock rows, at most kMaxBlocks blocks, so the partials stay small): each block sums its
// rows in order into a partial per feature (contiguous, so it vectorises), and the partials are
// added in block order, so the statistics do not depend on the thread count. The elementwise
// passes split the rows over the thread pool.
#include <algorithm>
#include <vector>

#include "../kernel_registry.h"
#include "../kernels/batch_norm.h"
#include "../thread_pool.h"
#include "batch_norm.h"

namespace mixdim {

namespace {

constexpr int64_t kRowBlock = 64;
constexpr int64_t kMaxBlocks = 256;
constexpr int64_t kElementGrain = 1 << 15;

// total[j] = Σ_i contribution of row i to column j, for width columns; add_row(i, acc) adds row i's
// contributions into acc[0..width).
template <typename AddRow>
std::vector<double> column_sums(int64_t n, int64_t width, const AddRow& add_row) {
  const int64_t rows_per_block = std::max(kRowBlock, (n + kMaxBlocks - 1) / kMaxBlocks);
  const int64_t blocks = (n + rows_per_block - 1) / rows_per_block;
  std::vector<double> partial(static_cast<size_t>(blocks * width), 0.0);
  const int64_t grain = std::max<int64_t>(1, kElementGrain / std::max<int64_t>(1, rows_per_block * width));
  ThreadPool::instance().parallel_for(blocks, grain, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      double* acc = partial.data() + b * width;
      const int64_t end = std::min(n, (b + 1) * rows_per_block);
      for (int64_t i = b * rows_per_block; i < end; ++i) add_row(i, acc);
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

void batch_norm_forward_cpu(bool training, const float* x, const float* gamma, const float* beta,
                            float* running_mean, float* running_var, float* y, float* save_mean, float* save_invstd,
                            int64_t n, int64_t c, float eps, float momentum) {
  if (training) {
    const std::vector<double> sums = column_sums(n, c, [&](int64_t i, double* acc) {
      const float* row = x + i * c;
      for (int64_t j = 0; j < c; ++j) acc[j] += row[j];
    });
    std::vector<double> mean(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; ++j) mean[j] = sums[j] / static_cast<double>(n);
    const std::vector<double> squares = column_sums(n, c, [&](int64_t i, double* acc) {
      const float* row = x + i * c;
      for (int64_t j = 0; j < c; ++j) {
        const double centred = row[j] - mean[j];
        acc[j] += centred * centred;
      }
    });
    for (int64_t j = 0; j < c; ++j) {
      const double variance = squares[j] / static_cast<double>(n);
      save_mean[j] = static_cast<float>(mean[j]);
      save_invstd[j] = static_cast<float>(batch_norm_invstd(variance, eps));
      if (running_mean != nullptr) {
        running_mean[j] = batch_norm_running(running_mean[j], mean[j], momentum);
        running_var[j] = batch_norm_running(running_var[j], batch_norm_unbiased(variance, n), momentum);
      }
    }
  } else {
    for (int64_t j = 0; j < c; ++j) {
      save_mean[j] = running_mean[j];
      save_invstd[j] = static_cast<float>(batch_norm_invstd(running_var[j], eps));
    }
  }
  for_rows(n, c, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* in = x + i * c;
      float* out = y + i * c;
      for (int64_t j = 0; j < c; ++j) {
        out[j] = batch_norm_output(in[j], save_mean[j], save_invstd[j], gamma != nullptr ? gamma[j] : 1.0f,
                                   beta != nullptr ? beta[j] : 0.0f);
      }
    }
  });
}

void batch_norm_backward_cpu(bool training, const float* x, const float* dy, const float* gamma,
                             const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta,
                             int64_t n, int64_t c) {
  std::vector<float> mean_dy(static_cast<size_t>(c), 0.0f);
  std::vector<float> mean_dy_xhat(static_cast<size_t>(c), 0.0f);
  if (training || dgamma != nullptr) {
    // sums[j] = Σdy, sums[c + j] = Σdy·x̂
    const std::vector<double> sums = column_sums(n, 2 * c, [&](int64_t i, double* acc) {
      const float* x_row = x + i * c;
      const float* dy_row = dy + i * c;
      for (int64_t j = 0; j < c; ++j) {
        acc[j] += dy_row[j];
        acc[c + j] += static_cast<double>(dy_row[j]) * batch_norm_normalized(x_row[j], save_mean[j], save_invstd[j]);
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
  for_rows(n, c, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* x_row = x + i * c;
      const float* dy_row = dy + i * c;
      float* dx_row = dx + i * c;
      for (int64_t j = 0; j < c; ++j) {
        const float gamma_invstd = (gamma != nullptr ? gamma[j] : 1.0f) * save_invstd[j];
        dx_row[j] = batch_norm_input_grad(dy_row[j], batch_norm_normalized(x_row[j], save_mean[j], save_invstd[j]),
                                          gamma_invstd, mean_dy[j], mean_dy_xhat[j]);
      }
    }
  });
}

const KernelRegistration forward =
    KernelRegistration::of<BatchNormForwardKernel>(kBatchNormForward, Backend::kCpu, &batch_norm_forward_cpu);
const KernelRegistration backward =
    KernelRegistration::of<BatchNormBackwardKernel>(kBatchNormBackward, Backend::kCpu, &batch_norm_backward_cpu);

}  // namespace

}  // namespace mixdim
