#pragma once
// Effective-temperature estimation (CaloQVAE find_beta, method 2; research/caloqvae.md section 8):
// each iteration samples the QPU with the Ising model scaled by 1/beta_t, measures the energies
// under the unscaled model and updates beta <- max(beta_min, beta (<E_qpu>/<E_ref>)^delta) with
// delta = max(delta0, |<E_qpu>|/Var(E_qpu)) when adaptive. It stops when
// |<E_ref> - <E_qpu>| < c 2 sigma_qpu sigma_ref / (sqrt(N) (sigma_qpu + sigma_ref)), and returns
// the beta used in the last evaluated call (as the reference does).
#include <functional>
#include <span>
#include <vector>

namespace calo::qpu {

struct BetaEstimateOptions {
  double beta_init = 4.0;   // init_beta_qa
  int max_iterations = 11;  // qpu_iterations + 1
  double delta0 = 4.0;      // power
  double thrs_const = 1.5;  // thrs_const
  bool adaptive = true;
  double beta_min = 2.0;
};

struct BetaEstimate {
  double beta = 0;
  bool converged = false;
  double mean_ref = 0, sigma_ref = 0;
  std::vector<double> betas, mean_qpu;  // per evaluated iteration
};

// `qpu_energies(beta)` returns the unscaled-model energies of samples drawn at scale 1/beta.
BetaEstimate estimate_beta(std::span<const double> reference_energies,
                           const std::function<std::vector<double>(double)>& qpu_energies,
                           const BetaEstimateOptions& options);

}  // namespace calo::qpu
