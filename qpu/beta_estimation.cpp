#include "qpu/beta_estimation.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "host/log.hpp"

namespace calo::qpu {

namespace {
std::pair<double, double> mean_var(std::span<const double> v) {
  double m = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, v.size() > 1 ? s / double(v.size() - 1) : 0.0};
}
}  // namespace

BetaEstimate estimate_beta(std::span<const double> reference_energies,
                           const std::function<std::vector<double>(double)>& qpu_energies,
                           const BetaEstimateOptions& o) {
  if (reference_energies.size() < 2)
    fail_input("beta estimation needs at least 2 reference energies");
  if (!(o.beta_init > 0)) fail_input("beta_init must be positive, got {}", o.beta_init);
  BetaEstimate r;
  const auto [mb, vb] = mean_var(reference_energies);
  r.mean_ref = mb;
  r.sigma_ref = std::sqrt(vb);
  if (mb == 0) fail_input("reference energies average to 0; the ratio update is undefined");
  double beta = o.beta_init;
  for (int it = 0; it < o.max_iterations; ++it) {
    const std::vector<double> e = qpu_energies(beta);
    if (e.size() < 2)
      fail("beta estimation: the sampler returned {} energies, need >= 2", e.size());
    const auto [mq, vq] = mean_var(e);
    r.betas.push_back(beta);
    r.mean_qpu.push_back(mq);
    r.beta = beta;
    const double sq = std::sqrt(vq);
    const double thr = o.thrs_const * 2 * sq * r.sigma_ref /
                       (std::sqrt(double(e.size())) * (sq + r.sigma_ref) + 1e-300);
    spdlog::info(
        "beta estimation iteration {}: beta {:.4f}, <E_qpu> {:.4f} +- {:.4f}, <E_ref> {:.4f}", it,
        beta, mq, sq, mb);
    if (std::abs(mb - mq) < thr) {
      r.converged = true;
      return r;
    }
    const double delta = o.adaptive && vq > 0 ? std::max(o.delta0, std::abs(mq) / vq) : o.delta0;
    const double ratio = mq / mb;
    if (!(ratio > 0))
      fail(
          "beta estimation: <E_qpu> = {} and <E_ref> = {} have opposite signs; the ratio update "
          "cannot proceed (check the Ising mapping)",
          mq, mb);
    beta = std::max(o.beta_min, beta * std::pow(ratio, delta));
  }
  spdlog::warn("beta estimation did not meet the stopping rule in {} iterations; using beta {:.4f}",
               o.max_iterations, r.beta);
  return r;
}

}  // namespace calo::qpu
