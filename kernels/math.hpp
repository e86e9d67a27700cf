#pragma once
// Scalar math shared by CPU and CUDA paths: activations, numerically safe logistic functions.
#include <cmath>
#include <cstdint>
#include <cstring>

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

CALO_HD_INLINE double logit(double p) {
  return log(p) - log1p(-p);
}

// exp(-y) for y >= 0 with branch-free float arithmetic only (Cody-Waite reduction, Cephes expf
// polynomial, exponent built from bits), relative error below 2e-7. Unlike expf it vectorises on
// the CPU without -ffast-math, and the GPU evaluates the same operations. y > 87 gives exp(-87).
CALO_HD_INLINE float exp_neg_poly(float y) {
  // min(y, 87) on the bit patterns (ordered like the values for y >= 0): a plain float select
  // lets the compiler split the loop into a constant-folded branch and stop vectorising.
  int32_t ybits;
  memcpy(&ybits, &y, sizeof y);
  ybits = ybits < 0x42AE0000 ? ybits : 0x42AE0000;  // 0x42AE0000 = 87.0f
  memcpy(&y, &ybits, sizeof y);
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float kf = (y * 1.44269504088896341f + shifter) - shifter;  // round(y / ln 2) in [0, 126]
  const float x = (kf * 0.693359375f - y) + kf * -2.12194440e-4f;   // k ln2 - y, |x| <= ln2/2
  float p = 1.9875691500e-4f;
  p = p * x + 1.3981999507e-3f;
  p = p * x + 8.3334519073e-3f;
  p = p * x + 4.1665795894e-2f;
  p = p * x + 1.6666665459e-1f;
  p = p * x + 5.0000001201e-1f;
  p = p * x * x + x + 1.0f;  // exp(x)
  // 2^-k from its bits: exponent field 127 - k, with k in [0, 126]
  const int32_t bits = (127 - static_cast<int32_t>(kf)) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Bernoulli(sigmoid(x)) draw from u in (0,1) without a division or libm call, as 1.0f or 0.0f
// (a float result keeps the CPU loops vectorisable): with t = exp(-|x|), sigmoid(x) = 1/(1+t) for
// x >= 0 and t/(1+t) below, so u < sigmoid(x) iff u (1+t) < 1 (x >= 0) or u (1+t) < t (x < 0).
// A NaN field gives 0.
CALO_HD_INLINE float bernoulli_from_logit_fast(float x, float u) {
  const float t = exp_neg_poly(fabsf(x));
  const float threshold = x >= 0.0f ? 1.0f : t;  // a select, not a branch
  return u * (1.0f + t) < threshold ? 1.0f : 0.0f;
}

// Bernoulli(sigmoid(field)) draw from a uniform u in (0,1): the single update rule every Gibbs
// sampler uses, CPU and GPU.
CALO_HD_INLINE unsigned char bernoulli_from_field(float field, float u) {
  return u < sigmoidf(field) ? 1 : 0;
}

}  // namespace calo
