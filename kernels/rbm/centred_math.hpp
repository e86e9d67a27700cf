#pragma once
// The centred ("enhanced") RBM learning update (research/caloqvae.md section 6), piece by piece,
// for the CPU gradient (samplers/rbm_learning.cpp centred_gradient), its CSR form on the host
// (samplers/device_rbm.cpp centred_update_reference) and the CUDA update
// (kernels/rbm/rbm_update.cu). Every path runs these functions in the same order on the same
// doubles, so the three agree bit for bit (the build turns off FMA contraction on both sides).
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/rbm/packed_layout.hpp"

namespace calo {

// Means are kept away from 0 and 1 for the centring offsets (std::clamp's comparisons, so a NaN
// passes through as it does there).
CALO_HD_INLINE double clamp_moment(double mu) {
  constexpr double lo = 1e-4, hi = 1.0 - 1e-4;
  return mu < lo ? lo : (hi < mu ? hi : mu);
}

// Bessel's correction of sample moments of `rows` rows (1 for a single row).
CALO_HD_INLINE double moment_bessel(int64_t rows) {
  const double R = double(rows);
  return rows > 1 ? R / (R - 1.0) : 1.0;
}

// Unbiased covariance of units a and b from E[z_a z_b] and the means.
CALO_HD_INLINE double centred_covariance(double second, double mu_a, double mu_b, double bessel) {
  return (second - mu_a * mu_b) * bessel;
}

// The centring offset of one unit: the mean of the data's and the model's (clamped) means.
CALO_HD_INLINE double centring_offset(double mu_data, double mu_model) {
  return 0.5 * (clamp_moment(mu_data) + clamp_moment(mu_model));
}

// SGD ascent of one parameter, as apply_gradient does it: the gradient is rounded to float first.
CALO_HD_INLINE float sgd_ascent(float theta, float lr, double grad) {
  return theta + lr * float(grad);
}

// Moment sums of `rows` rows over an RBM's CSR graph (samplers/cd_device.hpp CouplingMomentSums):
// mu per node, pair per CSR entry.
struct MomentSumsView {
  const double* mu;
  const double* pair;
  int64_t rows;
};

CALO_HD_INLINE double moment_mean(const MomentSumsView& s, int node) {
  return s.mu[node] / double(s.rows);
}

// dW of CSR entry e (node a, its neighbour b): the data's covariance minus the model's.
CALO_HD_INLINE double centred_coupling_gradient(const MomentSumsView& d, const MomentSumsView& m,
                                                int a, int b, int64_t e) {
  const double cd = centred_covariance(d.pair[e] / double(d.rows), moment_mean(d, a),
                                       moment_mean(d, b), moment_bessel(d.rows));
  const double cm = centred_covariance(m.pair[e] / double(m.rows), moment_mean(m, a),
                                       moment_mean(m, b), moment_bessel(m.rows));
  return cd - cm;
}

// db of node a from the coupling gradients dw of its CSR entries (neighbours ascending, as the
// dense loop over q != p and slot j visits them; the uncoupled pairs it adds are 0).
CALO_HD_INLINE double centred_bias_gradient(const MomentSumsView& d, const MomentSumsView& m,
                                            const int32_t* offsets, const int32_t* nbr,
                                            const double* dw, int a) {
  double v = clamp_moment(moment_mean(d, a)) - clamp_moment(moment_mean(m, a));
  for (int32_t e = offsets[a]; e < offsets[a + 1]; ++e) {
    const int b = nbr[e];
    v -= dw[e] * centring_offset(moment_mean(d, b), moment_mean(m, b));
  }
  return v;
}

}  // namespace calo
