#pragma once
// 4-partite RBM -> Ising on the QPU (research/dwave.md section 5, caloqvae.md section 8):
// x = (s + 1) / 2 at scale c = 1 / beta_eff gives J_ij = -c W_ij / 4 and
// h_i = -c b_i / 2 - (c / 4) sum_j W_ij (over the real couplers of i), so that
// E_rbm(x) = E_ising(s) / c + const. Values outside the solver's h_range / j_range are clipped
// with a warning that says how many and by how much. Partition 0 is clamped with flux biases.
#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "qpu/ising_math.hpp"
#include "qpu/qp_codec.hpp"

namespace calo::qpu {

// Plain view of the RBM parameters (filled from samplers/rbm.hpp's Rbm by qpu_prior_sampler.cpp).
struct RbmParams {
  int n = 0;                                // units per partition
  std::array<std::vector<double>, 4> bias;  // bias[p][slot]
  std::array<std::array<std::vector<double>, 4>, 4>
      weights;                            // weights[p][q] (p<q): n x n, row-major, masked
  std::array<std::vector<int>, 4> qubit;  // qubit[p][slot]: solver qubit label
};

struct ClipReport {
  int h_clipped = 0, j_clipped = 0;
  double h_excess = 0, j_excess = 0;  // largest |value| - range bound that was clipped away
};

struct IsingMapping {
  IsingProblem problem;
  ClipReport clip;
  std::map<int, std::pair<int, int>> where;  // qubit -> (partition, slot)
};

// scale = 1 / beta_eff. h_range / j_range = {lo, hi}; clipping is reported through spdlog.
IsingMapping rbm_to_ising(const RbmParams& rbm, double scale, std::span<const double, 2> h_range,
                          std::span<const double, 2> j_range);

// Flux biases (length num_qubits) that clamp partition-0 qubit qubit[0][i] to spin 2 bits[i] - 1:
// fb = h_to_fluxbias(-strength * (2 bit - 1), phi0_per_h), positive for bit 1 (sign opposite to
// the wanted h). phi0_per_h is the solver family's (flux_constants_for(...).phi0_per_h()); the
// default is Advantage_system4.1's.
std::vector<double> clamp_flux_biases(int num_qubits, std::span<const int> partition0_qubits,
                                      std::span<const uint8_t> bits, double strength,
                                      double phi0_per_h = kFluxPerH);

// Clamp margin after conversion: a flux-biased qubit holds its spin only if its h-equivalent
// |fluxbias_to_h(fb, phi0_per_h)| exceeds the sum of |J| on its couplers in `problem`.
struct ClampMargin {
  int clamped = 0;          // qubits with a non-zero flux bias
  int weak = 0;             // of those, |h_fb| <= sum |J|
  int worst_qubit = -1;     // qubit with the smallest |h_fb| - sum |J|
  double worst_margin = 0;  // that difference (negative when weak)
};
// Logs a warning naming the worst qubit when any clamp is weak.
ClampMargin check_clamp_margin(const IsingProblem& problem, std::span<const double> flux_biases,
                               double phi0_per_h);

// Maps one answer row back to RBM states (4 * n values in {0,1}, partition-major). Every RBM
// qubit must be among the answer's active variables.
std::vector<uint8_t> spins_to_states(const IsingMapping& mapping, int n,
                                     std::span<const int> active_variables,
                                     std::span<const int8_t> spins);

}  // namespace calo::qpu
