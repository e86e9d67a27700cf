#pragma once
// BatchNorm statistics and normalisation, and the per-channel reductions over a (B, C, S) tensor
// (BatchNorm, PReLU's slope gradient, the channel affine's backward), written once:
// host/nn/ops.cpp (the CPU ops), host/nn/norm.cpp (the rank-summed statistics of synchronised
// BatchNorm) and kernels/nn/nn_ops.cu (one CUDA block per channel) all call these. A CPU caller
// walks a channel with first = 0, step = 1; a block passes threadIdx.x and blockDim.x and sums its
// threads' partials in a fixed tree.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/nn/activations.hpp"

namespace calo::nn {

// Flat index of element j (0 <= j < B*S) of channel c: batch item j / S, position j % S.
CALO_HD_INLINE int64_t channel_element(int64_t j, int64_t c, int64_t C, int64_t S) {
  return ((j / S) * C + c) * S + j % S;
}

// Calls f(i) for the elements j = first, first + step, ... < B*S of channel c (i = the flat
// index). step == 1 walks (b, s) without a division per element.
template <class F>
CALO_HD_INLINE void channel_for_each(int64_t c, int64_t B, int64_t C, int64_t S, int64_t first,
                                     int64_t step, F& f) {
  if (first == 0 && step == 1) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t base = (b * C + c) * S;
      for (int64_t s = 0; s < S; ++s) f(base + s);
    }
  } else {
    for (int64_t j = first; j < B * S; j += step) f(channel_element(j, c, C, S));
  }
}

// Reductions as functors (not lambdas, so one definition serves host and device code). Each
// accumulates in double, in index order for a given (first, step).
struct ChannelSum {  // sum of x
  const float* x;
  double sum = 0.0;
  CALO_HD_INLINE void operator()(int64_t i) { sum += x[i]; }
};
struct CentredSquares {  // sum of (x - mean)^2
  const float* x;
  double mean;
  double sum = 0.0;
  CALO_HD_INLINE void operator()(int64_t i) {
    const double d = x[i] - mean;
    sum += d * d;
  }
};
struct GradSums {  // sum of gy and of gy * xhat: the BatchNorm backward means
  const float* gy;
  const float* xhat;
  double sg = 0.0, sgx = 0.0;
  CALO_HD_INLINE void operator()(int64_t i) {
    sg += gy[i];
    sgx += static_cast<double>(gy[i]) * xhat[i];
  }
};

// PReLU's slope gradient over a channel: sum of gy * dPReLU/da (kernels/nn/activations.hpp).
struct PreluSlopeGradSum {
  const float* x;
  const float* gy;
  double sum = 0.0;
  CALO_HD_INLINE void operator()(int64_t i) { sum += prelu_slope_grad(x[i], gy[i]); }
};

// Backward of the per-channel affine y = g * x + b (GroupNorm's scale and shift): writes
// gx = gy * g and sums gy (the shift's gradient) and gy * x (the scale's).
struct AffineBackward {
  const float* x;
  const float* gy;
  float* gx;
  float g;
  double sg = 0.0, sgx = 0.0;
  CALO_HD_INLINE void operator()(int64_t i) {
    gx[i] = gy[i] * g;
    sg += gy[i];
    sgx += static_cast<double>(gy[i]) * x[i];
  }
};

// One channel's statistics from its mean and centred sum of squares over n values: the biased
// variance normalises, the unbiased one feeds the running estimate (as PyTorch).
struct BnStats {
  float mean, var, inv_std, var_unbiased;
};
CALO_HD_INLINE BnStats bn_stats(double mean, double centred_sq, double n, float eps) {
  const double var = centred_sq / n;
  return {static_cast<float>(mean), static_cast<float>(var),
          bn_inv_std(static_cast<float>(var), eps),
          static_cast<float>(n > 1 ? centred_sq / (n - 1) : var)};
}

// mean(gy) and mean(gy xhat) over the channel's n values, from GradSums.
struct BnGradMeans {
  float mg, mgx;
};
CALO_HD_INLINE BnGradMeans bn_grad_means(double sg, double sgx, double n) {
  return {static_cast<float>(sg / n), static_cast<float>(sgx / n)};
}

// y = gamma * xhat + beta with xhat = (x - mean) * inv_std; xhat is kept for backward.
struct BnNormalise {
  const float* x;
  float* xhat;
  float* y;
  float mean, inv_std, gamma, beta;
  CALO_HD_INLINE void operator()(int64_t i) {
    xhat[i] = bn_xhat_f(x[i], mean, inv_std);
    y[i] = gamma * xhat[i] + beta;
  }
};

// gx through the batch statistics (mg = mean(gy), mgx = mean(gy xhat) over the channel), or with
// fixed statistics (eval mode) gy * gamma * inv_std.
struct BnInputGrad {
  const float* gy;
  const float* xhat;
  float* gx;
  float gamma, inv_std, mg, mgx;
  bool batch_stats;
  CALO_HD_INLINE void operator()(int64_t i) {
    gx[i] = batch_stats ? bn_grad_input(gy[i], xhat[i], gamma, inv_std, mg, mgx)
                        : gy[i] * gamma * inv_std;
  }
};

}  // namespace calo::nn
