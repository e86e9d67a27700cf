#include "samplers/ais.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "kernels/math.hpp"
#include "kernels/philox.hpp"
#include "kernels/rbm/gibbs_math.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

namespace {

// Gibbs update of partition 0 for all chains (chain-major states), at inverse temperature beta.
void update_partition0(const Rbm& rbm, std::vector<uint8_t>& z, int chains, float beta,
                       uint64_t seed, uint64_t step) {
  const size_t n = size_t(rbm.n()), N = 4 * n;
  for (size_t c = 0; c < size_t(chains); ++c) {
    uint8_t* s = z.data() + c * N;
    for (size_t i = 0; i < n; ++i) {
      double f = rbm.bias(0)[i];
      for (int q = 1; q < 4; ++q) {
        const auto& w = rbm.weights(0, q);
        for (size_t j = 0; j < n; ++j)
          if (s[size_t(q) * n + j]) f += w[i * n + j];
      }
      const float u = gibbs_uniform(seed ^ 0x0A15u, step, int(i), int(N), int(c), chains);
      s[i] = gibbs_update(float(f), beta, u);
    }
  }
}

AisResult ais_impl(const Rbm& rbm, const std::vector<uint8_t>* clamp, const AisOptions& o) {
  if (o.chains < 2 || o.steps < 1)
    fail_input("AIS: chains = {} must be >= 2 and steps = {} >= 1", o.chains, o.steps);
  const size_t n = size_t(rbm.n()), N = 4 * n, C = size_t(o.chains);
  if (clamp && clamp->size() != n)
    fail_input("AIS: clamp has {} values, partition 0 has {}", clamp->size(), n);
  BlockGibbsSampler g(rbm, o.chains, o.seed, GibbsPath::cpu_sparse);
  // beta = 0: uniform states
  std::vector<uint8_t> z(C * N);
  for (size_t k = 0; k < z.size(); ++k) z[k] = uniform(o.seed, kGibbsStream + 7, k) < 0.5f ? 1 : 0;
  if (clamp)
    for (size_t c = 0; c < C; ++c) std::copy(clamp->begin(), clamp->end(), z.begin() + long(c * N));
  std::vector<double> logw(C, 0.0);
  const double free_nodes = clamp ? double(3 * n) : double(N);
  double prev_beta = 0.0;
  for (int k = 1; k <= o.steps; ++k) {
    const double beta = double(k) / double(o.steps);
    for (size_t c = 0; c < C; ++c) logw[c] -= (beta - prev_beta) * rbm.energy(z.data() + c * N);
    prev_beta = beta;
    if (k == o.steps) break;
    // transition leaving p_beta invariant
    if (!clamp) update_partition0(rbm, z, o.chains, float(beta), o.seed, uint64_t(k));
    g.set_states(z);
    g.run(1, float(beta));
    z = g.states();
  }
  const double mx = *std::max_element(logw.begin(), logw.end());
  double s = 0, s2 = 0;
  for (double lw : logw) {
    const double w = std::exp(lw - mx);
    s += w;
    s2 += w * w;
  }
  const double mean = s / double(C), var = std::max(0.0, s2 / double(C) - mean * mean);
  AisResult r;
  r.log_z = free_nodes * std::log(2.0) + mx + std::log(mean);
  r.log_z_stderr = std::sqrt(var / double(C - 1)) / mean;
  return r;
}

}  // namespace

AisResult ais_log_z_conditional(const Rbm& rbm, const std::vector<uint8_t>& clamp,
                                const AisOptions& o) {
  return ais_impl(rbm, &clamp, o);
}

AisResult ais_log_z(const Rbm& rbm, const AisOptions& o) {
  return ais_impl(rbm, nullptr, o);
}

double exact_log_z(const Rbm& rbm) {
  const int N = rbm.num_nodes();
  if (N > 24) fail_input("exact_log_z: {} nodes is too many to enumerate (max 24)", N);
  std::vector<uint8_t> z(static_cast<size_t>(N));
  const uint64_t count = uint64_t(1) << N;
  std::vector<double> le(count);
  for (uint64_t s = 0; s < count; ++s) {
    for (int i = 0; i < N; ++i) z[size_t(i)] = uint8_t((s >> i) & 1u);
    le[s] = -rbm.energy(z.data());
  }
  const double mx = *std::max_element(le.begin(), le.end());
  double sum = 0;
  for (double v : le) sum += std::exp(v - mx);
  return mx + std::log(sum);
}

double log_likelihood(const Rbm& rbm, const std::vector<uint8_t>& data, int batch, double log_z) {
  const size_t N = size_t(rbm.num_nodes());
  if (batch < 1 || data.size() != size_t(batch) * N)
    fail_input("log_likelihood: got {} values for {} rows x {} nodes", data.size(), batch, N);
  double s = 0;
  for (size_t r = 0; r < size_t(batch); ++r) s -= rbm.energy(data.data() + r * N);
  return s / batch - log_z;
}

}  // namespace calo
