#include "samplers/rbm_learning.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "kernels/rbm/centred_math.hpp"
#include "kernels/rbm/moment_math.hpp"

namespace calo {

namespace {

template <class T>
RbmMoments sums_impl(std::span<const T> states, int rows, int num_nodes) {
  const size_t N = size_t(num_nodes), R = size_t(rows);
  if (rows < 1 || states.size() != R * N)
    fail_input("RBM moments: got {} values for {} rows x {} nodes", states.size(), rows, num_nodes);
  RbmMoments m;
  m.mu.assign(N, 0.0);
  m.second.assign(N * N, 0.0);
  for (size_t r = 0; r < R; ++r) {
    const T* z = states.data() + r * N;
    for (size_t i = 0; i < N; ++i) {
      const double zi = double(z[i]);
      m.mu[i] += zi;
      if (zi == 0.0) continue;
      double* row = m.second.data() + i * N;
      for (size_t j = 0; j < N; ++j) row[j] += zi * double(z[j]);
    }
  }
  return m;
}

RbmMoments normalise(RbmMoments m, int64_t rows) {
  if (rows < 1) fail_input("RBM moments of {} rows", rows);
  const double R = double(rows);
  for (auto& v : m.mu) v /= R;
  for (auto& v : m.second) v /= R;
  m.bessel = rows > 1 ? R / (R - 1.0) : 1.0;
  return m;
}

template <class T>
RbmMoments moments_impl(std::span<const T> states, int rows, int num_nodes) {
  return normalise(sums_impl(states, rows, num_nodes), rows);
}

RbmGradient zero_gradient(const Rbm& rbm) {
  RbmGradient g;
  const size_t n = size_t(rbm.n());
  for (auto& w : g.w) w.assign(n * n, 0.0f);
  for (auto& b : g.b) b.assign(n, 0.0f);
  return g;
}

void check_nodes(const Rbm& rbm, const RbmMoments& m, const char* what) {
  if (m.mu.size() != size_t(rbm.num_nodes()))
    fail_input("RBM gradient: {} moments have {} nodes, the RBM has {}", what, m.mu.size(),
               rbm.num_nodes());
}

}  // namespace

RbmMoments moments_from_states(std::span<const float> states, int rows, int num_nodes) {
  return moments_impl(states, rows, num_nodes);
}
RbmMoments moments_from_states(std::span<const uint8_t> states, int rows, int num_nodes) {
  return moments_impl(states, rows, num_nodes);
}

RbmMoments moment_sums(std::span<const float> states, int rows, int num_nodes) {
  return sums_impl(states, rows, num_nodes);
}
RbmMoments moment_sums(std::span<const uint8_t> states, int rows, int num_nodes) {
  return sums_impl(states, rows, num_nodes);
}
RbmMoments moments_from_sums(RbmMoments sums, int64_t total_rows) {
  return normalise(std::move(sums), total_rows);
}

RbmMoments exact_moments(const Rbm& rbm, const std::vector<uint8_t>* clamp) {
  const int n = rbm.n(), N = 4 * n;
  const int first = clamp ? n : 0, free = N - first;
  if (free > 24) fail_input("exact_moments: {} free nodes is too many to enumerate (max 24)", free);
  std::vector<uint8_t> z(size_t(N), 0);
  if (clamp) std::copy(clamp->begin(), clamp->end(), z.begin());
  const uint64_t count = uint64_t(1) << free;
  std::vector<double> e(count);
  double emin = 1e300;
  for (uint64_t s = 0; s < count; ++s) {
    for (int i = 0; i < free; ++i) z[size_t(first + i)] = uint8_t((s >> i) & 1u);
    e[s] = rbm.energy(z.data());
    emin = std::min(emin, e[s]);
  }
  RbmMoments m;
  m.mu.assign(size_t(N), 0.0);
  m.second.assign(size_t(N) * size_t(N), 0.0);
  double zsum = 0;
  for (uint64_t s = 0; s < count; ++s) {
    for (int i = 0; i < free; ++i) z[size_t(first + i)] = uint8_t((s >> i) & 1u);
    const double p = std::exp(-(e[s] - emin));
    zsum += p;
    for (int i = 0; i < N; ++i) {
      if (!z[size_t(i)]) continue;
      m.mu[size_t(i)] += p;
      for (int j = 0; j < N; ++j)
        if (z[size_t(j)]) m.second[size_t(i) * size_t(N) + size_t(j)] += p;
    }
  }
  for (auto& v : m.mu) v /= zsum;
  for (auto& v : m.second) v /= zsum;
  return m;
}

RbmGradient plain_gradient(const Rbm& rbm, const RbmMoments& d, const RbmMoments& m) {
  check_nodes(rbm, d, "data");
  check_nodes(rbm, m, "model");
  RbmGradient g = zero_gradient(rbm);
  const size_t n = size_t(rbm.n()), N = 4 * n;
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    const auto& mask = rbm.mask(p, q);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        if (!mask[i * n + j]) continue;
        const size_t a = size_t(p) * n + i, b = size_t(q) * n + j;
        g.w[size_t(k)][i * n + j] = float(d.second[a * N + b] - m.second[a * N + b]);
      }
  }
  for (size_t p = 0; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) g.b[p][i] = float(d.mu[p * n + i] - m.mu[p * n + i]);
  return g;
}

RbmGradient centred_gradient(const Rbm& rbm, const RbmMoments& d, const RbmMoments& m) {
  check_nodes(rbm, d, "data");
  check_nodes(rbm, m, "model");
  RbmGradient g = zero_gradient(rbm);
  const size_t n = size_t(rbm.n()), N = 4 * n;
  // The pieces are the CALO_HD functions of kernels/rbm/centred_math.hpp, which the CSR and the
  // CUDA update (samplers/device_rbm.hpp) run too.
  std::vector<double> mud(N), mum(N), off(N);
  for (size_t i = 0; i < N; ++i) {
    mud[i] = clamp_moment(d.mu[i]);
    mum[i] = clamp_moment(m.mu[i]);
    off[i] = centring_offset(d.mu[i], m.mu[i]);
  }
  std::array<std::vector<double>, 6> dw;
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    const auto& mask = rbm.mask(p, q);
    dw[size_t(k)].assign(n * n, 0.0);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        if (!mask[i * n + j]) continue;
        const size_t a = size_t(p) * n + i, b = size_t(q) * n + j;
        const double cd = centred_covariance(d.second[a * N + b], d.mu[a], d.mu[b], d.bessel);
        const double cm = centred_covariance(m.second[a * N + b], m.mu[a], m.mu[b], m.bessel);
        dw[size_t(k)][i * n + j] = cd - cm;
        g.w[size_t(k)][i * n + j] = float(cd - cm);
      }
  }
  for (int p = 0; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) {
      double v = mud[size_t(p) * n + i] - mum[size_t(p) * n + i];
      for (int q = 0; q < 4; ++q) {
        if (q == p) continue;
        const auto& w = dw[size_t(rbm_pair_index(std::min(p, q), std::max(p, q)))];
        for (size_t j = 0; j < n; ++j) {
          const double wij = p < q ? w[i * n + j] : w[j * n + i];
          v -= wij * off[size_t(q) * n + j];
        }
      }
      g.b[size_t(p)][i] = float(v);
    }
  return g;
}

RbmGradient centred_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                             std::span<const uint8_t> model, int chains) {
  return centred_gradient(rbm, moments_from_states(data, batch, rbm.num_nodes()),
                          moments_from_states(model, chains, rbm.num_nodes()));
}

RbmGradient plain_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                           std::span<const uint8_t> model, int chains) {
  return plain_gradient(rbm, moments_from_states(data, batch, rbm.num_nodes()),
                        moments_from_states(model, chains, rbm.num_nodes()));
}

std::vector<uint8_t> chain_start_states(std::span<const float> data) {
  std::vector<uint8_t> bits(data.size());
  for (size_t i = 0; i < data.size(); ++i) bits[i] = chain_start_bit(data[i]);
  return bits;
}

RbmGradient cd_k_gradient(const Rbm& rbm, std::span<const float> data, int batch, int k,
                          uint64_t seed, GibbsPath path, float beta,
                          std::shared_ptr<DeviceRbmGraph> graph) {
  const size_t N = size_t(rbm.num_nodes());
  if (batch < 1 || data.size() != size_t(batch) * N)
    fail_input("CD-k: got {} data values for {} rows x {} nodes", data.size(), batch, N);
  BlockGibbsSampler g(rbm, batch, seed, path);
  g.share_device_graph(std::move(graph));
  g.set_states(chain_start_states(data));
  g.run(k, beta);
  return centred_gradient(rbm, data, batch, g.states(), batch);
}

RbmGradient pcd_gradient(const Rbm& rbm, BlockGibbsSampler& chains, std::span<const float> data,
                         int batch, int k, float beta) {
  chains.set_rbm(rbm);
  chains.run(k, beta);
  return centred_gradient(rbm, data, batch, chains.states(), chains.chains());
}

void apply_gradient(Rbm& rbm, const RbmGradient& g, float lr, bool update_bias0) {
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    auto& w = rbm.weights(p, q);
    for (size_t i = 0; i < w.size(); ++i) w[i] = sgd_ascent(w[i], lr, g.w[size_t(k)][i]);
  }
  rbm.apply_mask();
  for (int p = update_bias0 ? 0 : 1; p < 4; ++p) {
    auto& b = rbm.bias(p);
    for (size_t i = 0; i < b.size(); ++i) b[i] = sgd_ascent(b[i], lr, g.b[size_t(p)][i]);
  }
}

}  // namespace calo
