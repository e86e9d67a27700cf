// Latent diagnostics: a collapsed posterior reads as collapsed, an informative one as informative,
// and the KL(q || p) estimate equals the exact KL by enumeration on a tiny RBM.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/nn/latent_diagnostics.hpp"
#include "host/nn/losses.hpp"
#include "host/topology/graph.hpp"
#include "kernels/math.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

namespace calo::nn {
namespace {

double h2(double p) {
  return -(p * std::log2(p) + (1 - p) * std::log2(1 - p));
}

TEST(PosteriorStats, CollapsedPosteriorHasOneStateAndNoInformation) {
  const int64_t B = 200, U = 24;
  std::vector<float> logits(size_t(B * U), 6.0f), samples(size_t(B * U), 1.0f);
  const PosteriorStats s = posterior_stats(logits, samples, B, U);
  EXPECT_DOUBLE_EQ(s.distinct_map, 1.0 / double(B));
  EXPECT_DOUBLE_EQ(s.distinct_sampled, 1.0 / double(B));
  EXPECT_NEAR(s.information(), 0.0, 1e-9);
  EXPECT_NEAR(s.marginal_entropy, h2(sigmoid(6.0)), 1e-6);
}

TEST(PosteriorStats, ConfidentDistinctCodesCarryInformation) {
  // Each shower gets its own random sign pattern at |logit| = 4: the aggregate posterior is
  // about 1/2 per unit (1 bit), a single shower's about H(sigmoid(4)) bits.
  const int64_t B = 500, U = 30;
  std::vector<float> logits(size_t(B * U)), samples(size_t(B * U));
  for (int64_t i = 0; i < B * U; ++i) {
    const bool on = uniform(3, 0, uint64_t(i)) < 0.5f;
    logits[size_t(i)] = on ? 4.0f : -4.0f;
    samples[size_t(i)] = on ? 1.0f : 0.0f;
  }
  const PosteriorStats s = posterior_stats(logits, samples, B, U);
  EXPECT_DOUBLE_EQ(s.distinct_map, 1.0);
  EXPECT_NEAR(s.marginal_entropy, 1.0, 0.01);
  EXPECT_NEAR(s.conditional_entropy, h2(sigmoid(4.0)), 1e-6);
  EXPECT_GT(s.information(), 0.8);
}

TEST(PriorMatch, KlEstimateEqualsExactEnumeration) {
  // n = 3: 9 free units, 512 states per energy code.
  const int n = 3;
  Rbm rbm = Rbm::from_graph(zephyr_graph(1, 2), n);
  rbm.init_random(5, {0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f}, 0.5f);
  const std::vector<float> energies = {3000.0f, 77000.0f};
  const int64_t B = 2;
  std::vector<float> logits(size_t(B * 3 * n)), samples(size_t(B * 3 * n));
  for (size_t i = 0; i < logits.size(); ++i) {
    logits[i] = 3.0f * (uniform(9, 0, i) - 0.5f) * 2.0f;
    samples[i] = logits[i] > 0 ? 1.0f : 0.0f;
  }
  double exact = 0.0;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<uint8_t> bits(static_cast<size_t>(n));
    energy_code(energies[size_t(b)], n, bits.data());
    std::vector<float> code(bits.begin(), bits.end()), z(size_t(3 * n));
    double log_z = -1e300, kl_part = 0.0;
    for (int k = 0; k < (1 << (3 * n)); ++k) {
      double lnq = 0.0;
      for (int i = 0; i < 3 * n; ++i) {
        z[size_t(i)] = float((k >> i) & 1);
        const double p = sigmoid(double(logits[size_t(b * 3 * n + i)]));
        lnq += z[size_t(i)] > 0 ? std::log(p) : std::log(1 - p);
      }
      const double e = conditional_energy(rbm, code.data(), z.data());
      kl_part += std::exp(lnq) * (lnq + e);
      log_z = std::max(log_z, -e) + std::log1p(std::exp(-std::fabs(log_z + e)));
    }
    exact += (kl_part + log_z) / double(B);
  }
  PriorMatchOptions o;
  o.kl_showers = 2;
  o.ais_chains = 256;
  o.ais_steps = 500;
  o.sweeps = 200;
  const PriorMatch m = prior_match(rbm, logits, samples, energies, o);
  EXPECT_NEAR(m.kl, exact, std::max(0.02, 4 * m.kl_stderr)) << "exact " << exact;
  EXPECT_GT(exact, 0.1);  // the posterior is far from the prior: the check has something to see
  EXPECT_GE(m.unit_gap, 0.0);
  EXPECT_LE(m.unit_gap, 1.0);
}

}  // namespace
}  // namespace calo::nn
