#pragma once
// Ising-side update rules shared by the stand-in sampler and the mapping code (CALO_HD so a CUDA
// sampler could call the same functions).
#include <cmath>

#include "kernels/hd.hpp"

namespace calo::qpu {

// h -> flux bias in Phi0 and back (dwave-system temperatures.py::h_to_fluxbias):
// fb = -phi0_per_h * h, the sign opposite to h. phi0_per_h depends on the solver family
// (qpu/flux_constants.hpp); kFluxPerH is the Advantage_system4.1 value (B = 1.391 GHz,
// M_AFM = 1.647 pH) that CaloQVAE uses everywhere, kept as the default of the one-argument forms.
constexpr double kFluxPerH = 4.213e-4;
CALO_HD_INLINE double h_to_fluxbias(double h, double phi0_per_h) {
  return -phi0_per_h * h;
}
CALO_HD_INLINE double fluxbias_to_h(double fb, double phi0_per_h) {
  return -fb / phi0_per_h;
}
CALO_HD_INLINE double h_to_fluxbias(double h) {
  return h_to_fluxbias(h, kFluxPerH);
}
CALO_HD_INLINE double fluxbias_to_h(double fb) {
  return fluxbias_to_h(fb, kFluxPerH);
}

// Heat-bath update of one spin with local field f = h_i + sum_j J_ij s_j at inverse temperature
// beta, E = sum h s + sum J s s: P(s_i = +1) = 1 / (1 + exp(2 beta f)).
CALO_HD_INLINE signed char heat_bath_spin(double beta, double field, double u) {
  const double p_up = 1.0 / (1.0 + exp(2.0 * beta * field));
  return u < p_up ? 1 : -1;
}

}  // namespace calo::qpu
