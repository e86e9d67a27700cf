#pragma once
// Scalar math shared by CPU and CUDA paths: activations, numerically safe logistic functions.
#include <cmath>

#include "kernels/hd.hpp"

namespace calo {

CALO_HD_INLINE float sigmoidf(float x) {
  // Split by sign so exp never overflows.
  if (x >= 0.0f) {
    const float z = expf(-x);
    return 1.0f / (1.0f + z);
  }
  const float z = expf(x);
  return z / (1.0f + z);
}

CALO_HD_INLINE double sigmoid(double x) {
  if (x >= 0.0) {
    const double z = exp(-x);
    return 1.0 / (1.0 + z);
  }
  const double z = exp(x);
  return z / (1.0 + z);
}

// log(1 + exp(x)) without overflow.
CALO_HD_INLINE float softplusf(float x) {
  return x > 20.0f ? x : (x < -20.0f ? expf(x) : log1pf(expf(x)));
}
CALO_HD_INLINE double softplus(double x) {
  return x > 35.0 ? x : (x < -35.0 ? exp(x) : log1p(exp(x)));
}

CALO_HD_INLINE double logit(double p) { return log(p) - log1p(-p); }

// Bernoulli(sigmoid(field)) draw from a uniform u in (0,1): the single update rule every Gibbs
// sampler uses, CPU and GPU.
CALO_HD_INLINE unsigned char bernoulli_from_field(float field, float u) {
  return u < sigmoidf(field) ? 1 : 0;
}

}  // namespace calo
