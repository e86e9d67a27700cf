#include "host/nn/latent_diagnostics.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/nn/losses.hpp"
#include "kernels/math.hpp"
#include "kernels/transform.hpp"
#include "samplers/ais.hpp"

namespace calo::nn {
namespace {

double entropy_bits(double p) {
  if (p <= 0.0 || p >= 1.0) return 0.0;
  return -(p * std::log2(p) + (1.0 - p) * std::log2(1.0 - p));
}

// Fraction of distinct rows among B rows of `units` bits given by on(b, i).
template <class On>
double distinct_fraction(int64_t B, int64_t units, On on) {
  std::unordered_set<std::string> seen;
  std::string key(static_cast<size_t>((units + 7) / 8), '\0');
  for (int64_t b = 0; b < B; ++b) {
    std::fill(key.begin(), key.end(), '\0');
    for (int64_t i = 0; i < units; ++i)
      if (on(b, i)) key[size_t(i / 8)] = static_cast<char>(key[size_t(i / 8)] | (1 << (i % 8)));
    seen.insert(key);
  }
  return B > 0 ? double(seen.size()) / double(B) : 0.0;
}

}  // namespace

PosteriorStats posterior_stats(std::span<const float> logits, std::span<const float> samples,
                               int64_t B, int64_t units) {
  if (static_cast<int64_t>(logits.size()) != B * units ||
      static_cast<int64_t>(samples.size()) != B * units)
    fail("posterior_stats: {} logits and {} samples for {} showers x {} units", logits.size(),
         samples.size(), B, units);
  PosteriorStats s;
  s.showers = B;
  if (B == 0) return s;
  s.distinct_map = distinct_fraction(
      B, units, [&](int64_t b, int64_t i) { return logits[size_t(b * units + i)] > 0.0f; });
  s.distinct_sampled = distinct_fraction(
      B, units, [&](int64_t b, int64_t i) { return samples[size_t(b * units + i)] > 0.5f; });
  double marg = 0.0, cond = 0.0;
  for (int64_t i = 0; i < units; ++i) {
    double mean = 0.0, h = 0.0;
    for (int64_t b = 0; b < B; ++b) {
      const double p = sigmoid(logits[size_t(b * units + i)]);
      mean += p;
      h += entropy_bits(p);
    }
    marg += entropy_bits(mean / double(B));
    cond += h / double(B);
  }
  s.marginal_entropy = marg / double(units);
  s.conditional_entropy = cond / double(units);
  return s;
}

PriorMatch prior_match(const Rbm& prior, std::span<const float> logits,
                       std::span<const float> samples, std::span<const float> energies,
                       const PriorMatchOptions& o) {
  const int n = prior.n();
  const int64_t B = static_cast<int64_t>(energies.size());
  if (static_cast<int64_t>(logits.size()) != B * 3 * n ||
      static_cast<int64_t>(samples.size()) != B * 3 * n)
    fail("prior_match: {} logits and {} samples for {} showers x {} units", logits.size(),
         samples.size(), B, 3 * n);
  PriorMatch m;
  if (B == 0) return m;
  const LatentLayout layout(n);
  const std::vector<float> codes = layout.float_codes(energies);
  std::vector<double> post_on(size_t(3 * n), 0.0), prior_on(size_t(3 * n), 0.0);
  for (int64_t b = 0; b < B; ++b) {
    m.pos_energy += conditional_energy(prior, codes.data() + b * n, samples.data() + b * 3 * n);
    for (int i = 0; i < 3 * n; ++i) post_on[size_t(i)] += samples[size_t(b * 3 * n + i)];
  }
  m.pos_energy /= double(B);

  BlockGibbsSampler chains(prior, static_cast<int>(B), o.seed, o.path);
  chains.clamp_energies(energies);
  chains.randomize(o.seed ^ 0x5A5A5A5Aull);
  chains.run(o.sweeps);
  const std::vector<uint8_t> z = chains.states();
  for (int64_t b = 0; b < B; ++b) {
    m.neg_energy += prior.energy_conditional(z.data() + b * 4 * n);
    for (int i = 0; i < 3 * n; ++i) prior_on[size_t(i)] += z[size_t(b * 4 * n + n + i)];
  }
  m.neg_energy /= double(B);
  for (int i = 0; i < 3 * n; ++i)
    m.unit_gap += std::fabs(prior_on[size_t(i)] - post_on[size_t(i)]) / double(B);
  m.unit_gap /= double(3 * n);

  // KL(q || p(.|c)) = E_q ln q + E_q E_cond + ln Z'(c), Z'(c) = sum_z exp(-E_cond(c, z)). q is
  // factorial and E_cond bilinear across distinct units, so E_q E_cond = E_cond(c, sigma(l)).
  const int K = static_cast<int>(std::min<int64_t>(o.kl_showers, B));
  std::vector<double> kls(static_cast<size_t>(K)), vars(static_cast<size_t>(K));
  // Each shower's AIS run is independent and seeded by k: parallel, same result for any threads.
#pragma omp parallel for schedule(dynamic)
  for (int k = 0; k < K; ++k) {
    const int64_t b = (B * k) / K;
    const std::vector<uint8_t> kbits = layout.code(double(energies[size_t(b)]));
    const float* kcode = codes.data() + b * n;
    std::vector<float> sig(static_cast<size_t>(3 * n));
    double eq_lnq = 0.0;
    for (int i = 0; i < 3 * n; ++i) {
      const double p =
          std::clamp<double>(sigmoid(logits[size_t(b * 3 * n + i)]), 1e-12, 1.0 - 1e-12);
      sig[size_t(i)] = static_cast<float>(p);
      eq_lnq += p * std::log(p) + (1.0 - p) * std::log(1.0 - p);
    }
    AisOptions ao;
    ao.chains = o.ais_chains;
    ao.steps = o.ais_steps;
    ao.seed = o.seed + 17 + static_cast<uint64_t>(k);
    const AisResult z0 = ais_log_z_conditional(prior, kbits, ao);
    double b0c = 0.0;
    for (int i = 0; i < n; ++i) b0c += double(prior.bias(0)[size_t(i)]) * kbits[size_t(i)];
    kls[size_t(k)] = eq_lnq + conditional_energy(prior, kcode, sig.data()) + z0.log_z - b0c;
    vars[size_t(k)] = z0.log_z_stderr * z0.log_z_stderr;
  }
  double var = 0.0;
  for (double v : vars) var += v;
  for (double v : kls) m.kl += v / double(K);
  m.kl_stderr = K > 0 ? std::sqrt(var) / double(K) : 0.0;
  return m;
}

}  // namespace calo::nn
