#pragma once
// Is the latent space informative, and does the RBM prior match it? Computed on the validation
// showers every epoch (calo_train's epoch line, log.csv, log.json) so a posterior collapse shows
// as it happens:
// - distinct states: fraction of distinct posterior states among the encoded showers, for the
//   most likely state (logit > 0) and for the Bernoulli samples;
// - per-unit entropies in bits: of the aggregate posterior (mean over showers of sigma(l)), of the
//   posterior of one shower (mean over showers), and their difference, the information a unit
//   carries about the shower (0 when every shower gets the same distribution);
// - prior vs posterior: mean conditional RBM energy of the encoded latents (positive phase) and of
//   prior samples at the same energies (negative phase), the mean per-unit gap between prior and
//   posterior on-probabilities, and a KL(q || p) estimate with AIS for log Z.
#include <cstdint>
#include <span>
#include <vector>

#include "samplers/gibbs.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {

struct PosteriorStats {
  int64_t showers = 0;
  double distinct_map = 0, distinct_sampled = 0;  // fractions in [0, 1]
  double marginal_entropy = 0;                    // bits per unit, H(mean_b sigma(l))
  double conditional_entropy = 0;                 // bits per unit, mean_b H(sigma(l))
  double information() const { return marginal_entropy - conditional_entropy; }
};

// logits and samples: B x units (partitions 1..3 of each shower), samples hard {0, 1}.
PosteriorStats posterior_stats(std::span<const float> logits, std::span<const float> samples,
                               int64_t B, int64_t units);

struct PriorMatch {
  double pos_energy = 0;  // mean E_cond of the encoded (hard) latents
  double neg_energy = 0;  // mean E_cond of prior samples with the same energy codes
  double unit_gap = 0;    // mean over units of |P_prior(on) - P_post(on)|
  double kl = 0;          // KL(q || p) estimate, nats per shower (AIS log Z on `kl_showers`)
  double kl_stderr = 0;
};

struct PriorMatchOptions {
  int sweeps = 1000;   // Gibbs sweeps from random starts for the prior samples
  int kl_showers = 8;  // showers whose conditional log Z is estimated with AIS
  int ais_chains = 64;
  int ais_steps = 200;
  uint64_t seed = 1;
  GibbsPath path = GibbsPath::cpu_sparse;
};

// logits/samples as above (B x 3n), energies (B) MeV.
PriorMatch prior_match(const Rbm& prior, std::span<const float> logits,
                       std::span<const float> samples, std::span<const float> energies,
                       const PriorMatchOptions& options);

}  // namespace calo::nn
