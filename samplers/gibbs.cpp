#include "samplers/gibbs.hpp"

#include <cblas.h>

#include <algorithm>

#include "host/error.hpp"
#include "kernels/rbm/gibbs_math.hpp"
#include "kernels/transform.hpp"

namespace calo {

namespace {

// Below this many updates per partition, threads cost more than they save (tiny test RBMs).
constexpr int64_t kParallelMin = 1 << 15;

BlockGibbsSampler::Sparse build_sparse(const Rbm& rbm) {
  const int n = rbm.n(), N = 4 * n;
  std::vector<std::vector<std::pair<int32_t, float>>> adj(static_cast<size_t>(N));
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    const auto& w = rbm.weights(p, q);
    const auto& m = rbm.mask(p, q);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const size_t e = size_t(i) * size_t(n) + size_t(j);
        if (!m[e]) continue;
        adj[size_t(p * n + i)].emplace_back(q * n + j, w[e]);
        adj[size_t(q * n + j)].emplace_back(p * n + i, w[e]);
      }
  }
  BlockGibbsSampler::Sparse s;
  s.offsets.push_back(0);
  for (int i = 0; i < N; ++i) {
    std::sort(adj[size_t(i)].begin(), adj[size_t(i)].end());
    for (const auto& [j, w] : adj[size_t(i)]) {
      s.nbr.push_back(j);
      s.w.push_back(w);
    }
    s.offsets.push_back(int32_t(s.nbr.size()));
    s.bias.push_back(rbm.bias(i / n)[size_t(i % n)]);
  }
  return s;
}

}  // namespace

BlockGibbsSampler::BlockGibbsSampler(const Rbm& rbm, int chains, uint64_t seed, GibbsPath path)
    : chains_(chains), n_(rbm.n()), seed_(seed), path_(path) {
  if (chains < 1) fail_input("BlockGibbsSampler: chains = {} must be >= 1", chains);
  if (path == GibbsPath::cuda) require_backend(Backend::cuda);
  set_rbm(rbm);
  z_.assign(size_t(4 * n_) * size_t(chains_), 0);
}

void BlockGibbsSampler::set_rbm(const Rbm& rbm) {
  if (rbm.n() != n_)
    fail_input("BlockGibbsSampler::set_rbm: RBM has n = {}, sampler was built for n = {}", rbm.n(),
               n_);
  rbm_ = &rbm;
  sp_ = build_sparse(rbm);
}

void BlockGibbsSampler::set_states(std::span<const uint8_t> states) {
  const size_t N = size_t(4 * n_), C = size_t(chains_);
  if (states.size() != N * C)
    fail_input("BlockGibbsSampler::set_states: got {} values, expected chains x 4n = {} x {}",
               states.size(), C, N);
  for (size_t c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) z_[i * C + c] = states[c * N + i] ? 1 : 0;
}

void BlockGibbsSampler::clamp_energies(std::span<const float> energies_mev) {
  const size_t C = size_t(chains_);
  if (energies_mev.size() != C)
    fail_input("BlockGibbsSampler::clamp_energies: got {} energies for {} chains",
               energies_mev.size(), C);
  std::vector<uint8_t> code(static_cast<size_t>(n_));
  for (size_t c = 0; c < C; ++c) {
    energy_code(double(energies_mev[c]), n_, code.data());
    for (size_t i = 0; i < size_t(n_); ++i) z_[i * C + c] = code[i];
  }
}

void BlockGibbsSampler::randomize(uint64_t seed) {
  const size_t C = size_t(chains_);
  for (size_t i = size_t(n_); i < size_t(4 * n_); ++i)
    for (size_t c = 0; c < C; ++c)
      z_[i * C + c] = uniform(seed, kGibbsStream + 1, i * C + c) < 0.5f ? 1 : 0;
}

std::vector<uint8_t> BlockGibbsSampler::states() const {
  const size_t N = size_t(4 * n_), C = size_t(chains_);
  std::vector<uint8_t> out(N * C);
  for (size_t i = 0; i < N; ++i)
    for (size_t c = 0; c < C; ++c) out[c * N + i] = z_[i * C + c];
  return out;
}

void BlockGibbsSampler::run(int sweeps, float beta) {
  if (sweeps < 0) fail_input("BlockGibbsSampler::run: sweeps = {} must be >= 0", sweeps);
  switch (path_) {
    case GibbsPath::cpu_sparse:
      run_cpu_sparse(sweeps, beta);
      break;
    case GibbsPath::cpu_dense:
      run_cpu_dense(sweeps, beta);
      break;
    case GibbsPath::cuda:
      gibbs_run_cuda(sp_, n_, chains_, seed_, sweep_, sweeps, beta, z_.data());
      sweep_ += uint64_t(sweeps);
      break;
  }
}

void BlockGibbsSampler::run_cpu_sparse(int sweeps, float beta) {
  const int C = chains_, N = 4 * n_;
  constexpr int kBlock = 256;  // chains per inner block (vectorised)
  const int blocks = (C + kBlock - 1) / kBlock;
  const int32_t* off = sp_.offsets.data();
  const int32_t* nbr = sp_.nbr.data();
  const float* w = sp_.w.data();
  uint8_t* z = z_.data();
  for (int s = 0; s < sweeps; ++s, ++sweep_) {
    for (int p = 1; p < 4; ++p) {
#pragma omp parallel for schedule(static) collapse(2) if (int64_t(n_) * C >= kParallelMin)
      for (int i = p * n_; i < (p + 1) * n_; ++i)
        for (int b = 0; b < blocks; ++b) {
          const int c0 = b * kBlock, c1 = std::min(C, c0 + kBlock), len = c1 - c0;
          float f[kBlock];
          for (int c = 0; c < len; ++c) f[c] = sp_.bias[size_t(i)];
          for (int e = off[i]; e < off[i + 1]; ++e) {
            const float we = w[e];
            const uint8_t* zn = z + int64_t(nbr[e]) * C + c0;
#pragma omp simd
            for (int c = 0; c < len; ++c) f[c] += we * float(zn[c]);
          }
          uint8_t* zi = z + int64_t(i) * C + c0;
          if (C % 4 == 0) {  // one Philox block per 4 chains (same draws as gibbs_uniform)
            for (int c = 0; c < len; c += 4) {
              const Uniform4 u = gibbs_uniform4(seed_, sweep_, i, N, c0 + c, C);
              for (int k = 0; k < 4; ++k) zi[c + k] = gibbs_update(f[c + k], beta, u.u[k]);
            }
          } else {
            for (int c = 0; c < len; ++c)
              zi[c] = gibbs_update(f[c], beta, gibbs_uniform(seed_, sweep_, i, N, c0 + c, C));
          }
        }
    }
  }
}

void BlockGibbsSampler::run_cpu_dense(int sweeps, float beta) {
  const int C = chains_, n = n_, N = 4 * n;
  // chain-major float copies per partition (C x n)
  std::array<std::vector<float>, 4> zf;
  for (int p = 0; p < 4; ++p) {
    zf[size_t(p)].resize(size_t(C) * size_t(n));
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < C; ++c)
        zf[size_t(p)][size_t(c) * size_t(n) + size_t(i)] =
            z_[size_t(p * n + i) * size_t(C) + size_t(c)];
  }
  std::vector<float> field(size_t(C) * size_t(n));
  for (int s = 0; s < sweeps; ++s, ++sweep_) {
    for (int p = 1; p < 4; ++p) {
      const auto& bias = rbm_->bias(p);
      for (int c = 0; c < C; ++c) std::copy(bias.begin(), bias.end(), field.begin() + long(c) * n);
      for (int q = 0; q < 4; ++q) {
        if (q == p) continue;
        // field (C x n) += Z_q (C x n) . W_qp   (W_qp = W_pq^T when q > p)
        const bool q_first = q < p;
        const auto& W = q_first ? rbm_->weights(q, p) : rbm_->weights(p, q);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, q_first ? CblasNoTrans : CblasTrans, C, n, n, 1.0f,
                    zf[size_t(q)].data(), n, W.data(), n, 1.0f, field.data(), n);
      }
#pragma omp parallel for schedule(static) if (int64_t(n) * C >= kParallelMin)
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < n; ++i) {
          const size_t k = size_t(c) * size_t(n) + size_t(i);
          zf[size_t(p)][k] =
              float(gibbs_update(field[k], beta, gibbs_uniform(seed_, sweep_, p * n + i, N, c, C)));
        }
    }
  }
  for (int p = 1; p < 4; ++p)
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < C; ++c)
        z_[size_t(p * n + i) * size_t(C) + size_t(c)] =
            zf[size_t(p)][size_t(c) * size_t(n) + size_t(i)] > 0.5f ? 1 : 0;
}

}  // namespace calo
