#pragma once
// Test helpers: a side x side grid "solver", 4-coloured by (x % 2) + 2 (y % 2) so that every grid
// edge joins two partitions, and a random RBM on it (side^2 / 4 units per partition).
#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include "kernels/philox.hpp"
#include "qpu/ising_mapping.hpp"
#include "qpu/sapi_standin.hpp"

namespace calo::qpu::testing {

inline SolverGraph grid_graph(int side = 8) {
  SolverGraph g;
  g.num_qubits = side * side;
  for (int q = 0; q < g.num_qubits; ++q) g.qubits.push_back(q);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      if (x + 1 < side) g.couplers.emplace_back(y * side + x, y * side + x + 1);
      if (y + 1 < side) g.couplers.emplace_back(y * side + x, (y + 1) * side + x);
    }
  std::sort(g.couplers.begin(), g.couplers.end());
  return g;
}

// Stand-in solver options over the grid: the given token, hidden beta and sweeps per read.
inline StandinOptions grid_standin(const std::string& token, double beta, int sweeps,
                                   int side = 8) {
  StandinOptions o;
  o.graph = grid_graph(side);
  o.token = token;
  o.beta = beta;
  o.sweeps = sweeps;
  return o;
}

// Random RBM masked to the grid couplers: weights in [w_lo, w_hi], biases in [-b_amp, b_amp].
inline RbmParams grid_rbm(uint64_t seed, double w_lo, double w_hi, double b_amp, int side = 8) {
  RbmParams r;
  r.n = side * side / 4;
  auto part = [side](int q) { return (q % side) % 2 + 2 * ((q / side) % 2); };
  std::array<std::map<int, int>, 4> slot;
  for (int q = 0; q < side * side; ++q) {
    const size_t p = size_t(part(q));
    slot[p][q] = int(r.qubit[p].size());
    r.qubit[p].push_back(q);
  }
  uint64_t k = 0;
  for (size_t p = 0; p < 4; ++p) {
    for (int i = 0; i < r.n; ++i)
      r.bias[p].push_back(b_amp * (2 * calo::uniform(seed, 1, k++) - 1));
    for (size_t q = p + 1; q < 4; ++q) r.weights[p][q].assign(size_t(r.n * r.n), 0.0);
  }
  for (const auto& [a, b] : grid_graph(side).couplers) {
    int qa = a, qb = b;
    if (part(qa) > part(qb)) std::swap(qa, qb);
    const size_t pa = size_t(part(qa)), pb = size_t(part(qb));
    const double w = w_lo + (w_hi - w_lo) * calo::uniform(seed, 2, k++);
    r.weights[pa][pb][size_t(slot[pa][qa] * r.n + slot[pb][qb])] = w;
  }
  return r;
}

inline double rbm_energy(const RbmParams& r, const std::vector<uint8_t>& x) {
  double e = 0;
  const size_t n = size_t(r.n);
  for (size_t p = 0; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) e -= r.bias[p][i] * x[p * n + i];
  for (size_t p = 0; p < 4; ++p)
    for (size_t q = p + 1; q < 4; ++q)
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j)
          e -= r.weights[p][q][i * n + j] * x[p * n + i] * x[q * n + j];
  return e;
}

}  // namespace calo::qpu::testing
