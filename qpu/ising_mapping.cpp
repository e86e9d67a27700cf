#include "qpu/ising_mapping.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "host/log.hpp"
#include "qpu/ising_math.hpp"

namespace calo::qpu {

namespace {
double clip(double v, std::span<const double, 2> range, int& count, double& excess) {
  if (v < range[0]) {
    ++count;
    excess = std::max(excess, range[0] - v);
    return range[0];
  }
  if (v > range[1]) {
    ++count;
    excess = std::max(excess, v - range[1]);
    return range[1];
  }
  return v;
}
}  // namespace

IsingMapping rbm_to_ising(const RbmParams& rbm, double scale, std::span<const double, 2> h_range,
                          std::span<const double, 2> j_range) {
  if (!(scale > 0) || !std::isfinite(scale))
    fail_input("Ising scale 1/beta_eff must be positive and finite, got {}", scale);
  const int n = rbm.n;
  IsingMapping m;
  std::vector<std::vector<double>> h(4, std::vector<double>(size_t(n), 0.0));
  for (int p = 0; p < 4; ++p) {
    if (rbm.bias[size_t(p)].size() != size_t(n) || rbm.qubit[size_t(p)].size() != size_t(n))
      fail_input("RBM partition {} has {} biases and {} qubits, expected {}", p,
                 rbm.bias[size_t(p)].size(), rbm.qubit[size_t(p)].size(), n);
    for (int i = 0; i < n; ++i) {
      h[size_t(p)][size_t(i)] = -scale * rbm.bias[size_t(p)][size_t(i)] / 2;
      m.where[rbm.qubit[size_t(p)][size_t(i)]] = {p, i};
    }
  }
  for (int p = 0; p < 4; ++p)
    for (int q = p + 1; q < 4; ++q) {
      const auto& w = rbm.weights[size_t(p)][size_t(q)];
      if (w.empty()) continue;
      if (w.size() != size_t(n) * size_t(n))
        fail_input("RBM weights {}{} have {} entries, expected {} x {}", p, q, w.size(), n, n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          const double v = w[size_t(i) * size_t(n) + size_t(j)];
          if (v == 0.0) continue;  // masked: no coupler
          h[size_t(p)][size_t(i)] -= scale * v / 4;
          h[size_t(q)][size_t(j)] -= scale * v / 4;
          m.problem.add_J(rbm.qubit[size_t(p)][size_t(i)], rbm.qubit[size_t(q)][size_t(j)],
                          clip(-scale * v / 4, j_range, m.clip.j_clipped, m.clip.j_excess));
        }
    }
  for (int p = 0; p < 4; ++p)
    for (int i = 0; i < n; ++i)
      m.problem.h[rbm.qubit[size_t(p)][size_t(i)]] =
          clip(h[size_t(p)][size_t(i)], h_range, m.clip.h_clipped, m.clip.h_excess);
  if (m.clip.h_clipped + m.clip.j_clipped > 0)
    spdlog::warn(
        "Ising mapping at scale {:.4g}: clipped {} of {} h values (by up to {:.4g}) to [{}, {}] "
        "and "
        "{} of {} J values (by up to {:.4g}) to [{}, {}]; samples follow a distorted model, "
        "consider "
        "a larger beta_eff",
        scale, m.clip.h_clipped, m.problem.h.size(), m.clip.h_excess, h_range[0], h_range[1],
        m.clip.j_clipped, m.problem.J.size(), m.clip.j_excess, j_range[0], j_range[1]);
  return m;
}

std::vector<double> clamp_flux_biases(int num_qubits, std::span<const int> partition0_qubits,
                                      std::span<const uint8_t> bits, double strength,
                                      double phi0_per_h) {
  if (bits.size() > partition0_qubits.size())
    fail_input("{} conditioning bits but partition 0 has only {} qubits", bits.size(),
               partition0_qubits.size());
  std::vector<double> fb(size_t(num_qubits), 0.0);
  for (size_t i = 0; i < bits.size(); ++i) {
    const int q = partition0_qubits[i];
    if (q < 0 || q >= num_qubits)
      fail_input("partition-0 qubit {} is outside the solver's {} nominal qubits", q, num_qubits);
    fb[size_t(q)] = h_to_fluxbias(-strength * (2.0 * bits[i] - 1.0), phi0_per_h);
  }
  return fb;
}

ClampMargin check_clamp_margin(const IsingProblem& problem, std::span<const double> fb,
                               double phi0_per_h) {
  std::map<int, double> coupling;  // sum |J| per qubit
  for (const auto& [e, v] : problem.J) {
    coupling[e.first] += std::abs(v);
    coupling[e.second] += std::abs(v);
  }
  ClampMargin m;
  for (size_t q = 0; q < fb.size(); ++q) {
    if (fb[q] == 0) continue;
    ++m.clamped;
    const auto it = coupling.find(int(q));
    const double margin =
        std::abs(fluxbias_to_h(fb[q], phi0_per_h)) - (it == coupling.end() ? 0.0 : it->second);
    if (margin <= 0) ++m.weak;
    if (m.worst_qubit < 0 || margin < m.worst_margin) {
      m.worst_qubit = int(q);
      m.worst_margin = margin;
    }
  }
  if (m.weak > 0)
    spdlog::warn(
        "flux-bias clamp is weak on {} of {} clamped qubits: qubit {} has |h| from its flux bias "
        "{:.4g} below the sum of |J| on its couplers by {:.4g}; its neighbours can flip it, raise "
        "clamp_strength",
        m.weak, m.clamped, m.worst_qubit,
        std::abs(fluxbias_to_h(fb[size_t(m.worst_qubit)], phi0_per_h)), -m.worst_margin);
  return m;
}

std::vector<uint8_t> spins_to_states(const IsingMapping& mapping, int n,
                                     std::span<const int> active_variables,
                                     std::span<const int8_t> spins) {
  std::vector<uint8_t> x(4 * size_t(n), 0);
  std::vector<uint8_t> seen(4 * size_t(n), 0);
  for (size_t i = 0; i < active_variables.size(); ++i) {
    auto it = mapping.where.find(active_variables[i]);
    if (it == mapping.where.end()) continue;
    const size_t k = size_t(it->second.first) * size_t(n) + size_t(it->second.second);
    x[k] = spins[i] > 0 ? 1 : 0;
    seen[k] = 1;
  }
  for (size_t k = 0; k < seen.size(); ++k)
    if (!seen[k])
      throw RemoteError(fmt::format(
          "QPU answer lacks qubit {} (partition {}, slot {}) of the RBM",
          [&] {
            for (const auto& [q, ps] : mapping.where)
              if (size_t(ps.first) * size_t(n) + size_t(ps.second) == k) return q;
            return -1;
          }(),
          k / size_t(n), k % size_t(n)));
  return x;
}

}  // namespace calo::qpu
