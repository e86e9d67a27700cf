#pragma once
// Adam update of one parameter element (PyTorch semantics), shared by CPU and CUDA.
#include <cmath>

#include "kernels/hd.hpp"

namespace calo::nn {

struct AdamScalars {
  float lr, beta1, beta2, eps, weight_decay;
  float bias_corr1, bias_corr2;  // 1 - beta^t
  bool decoupled;
};

CALO_HD_INLINE void adam_update(const AdamScalars& s, float& p, float g, float& m, float& v) {
  if (s.weight_decay != 0.0f) {
    if (s.decoupled) {
      p -= s.lr * s.weight_decay * p;
    } else {
      g += s.weight_decay * p;
    }
  }
  m = s.beta1 * m + (1.0f - s.beta1) * g;
  v = s.beta2 * v + (1.0f - s.beta2) * g * g;
  const float denom = sqrtf(v) / sqrtf(s.bias_corr2) + s.eps;
  p -= s.lr * (m / s.bias_corr1) / denom;
}

}  // namespace calo::nn
