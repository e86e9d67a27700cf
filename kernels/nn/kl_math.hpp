#pragma once
// Per-unit summands of the KL terms of the loss (host/nn/losses.hpp kl_terms): the CPU loops and
// the CUDA kernels (kernels/nn/nn_ops.cu) call these, in double like the reference.
#include "kernels/hd.hpp"
#include "kernels/math.hpp"

namespace calo::nn {

// Entropy summand z ln sigma(l) + (1 - z) ln(1 - sigma(l)) of one posterior unit. With gradients,
// *grad_l = s (z - sigma(l)) (at fixed z) and *grad_z = s l.
CALO_HD_INLINE double kl_entropy_unit(float l, float z, double s, float* grad_l, float* grad_z) {
  const double ld = l, zd = z;
  if (grad_l != nullptr) {
    *grad_l = float(s * (zd - sigmoid(ld)));
    *grad_z = float(s * ld);
  }
  return -(zd * softplus(-ld) + (1.0 - zd) * softplus(ld));
}

// Energy summand of one unit z of a partition with coupling field f = sum_{q != p} (W_pq z_q)_i
// and bias b: -z f / 2 - b z (every pair term is counted from both of its partitions). With a
// gradient, *grad_z += s (-b - f) = s dE/dz.
CALO_HD_INLINE double kl_energy_unit(float z, float f, float b, double s, float* grad_z) {
  if (grad_z != nullptr) *grad_z += float(s * (-double(b) - double(f)));
  return -0.5 * double(z) * double(f) - double(b) * double(z);
}

}  // namespace calo::nn
