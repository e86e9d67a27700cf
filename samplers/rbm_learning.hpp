#pragma once
// Centred ("enhanced") gradient of the RBM log-likelihood (research/caloqvae.md section 6), masked.
#include <array>
#include <memory>
#include <span>
#include <vector>

#include "samplers/gibbs.hpp"
#include "samplers/rbm.hpp"

namespace calo {

// First and second moments over the 4n nodes: mu (4n), second = E[z z^T] (4n x 4n, row-major),
// `bessel` = count/(count-1) for sample moments (1 for exact expectations).
struct RbmMoments {
  std::vector<double> mu, second;
  double bessel = 1.0;
};
RbmMoments moments_from_states(std::span<const float> states, int rows, int num_nodes);
RbmMoments moments_from_states(std::span<const uint8_t> states, int rows, int num_nodes);
// Data-parallel shards: the sums behind those moments (mu and second unnormalised), to be added
// over the ranks and turned into moments of all `total_rows` rows by moments_from_sums.
RbmMoments moment_sums(std::span<const float> states, int rows, int num_nodes);
RbmMoments moment_sums(std::span<const uint8_t> states, int rows, int num_nodes);
RbmMoments moments_from_sums(RbmMoments sums, int64_t total_rows);
// Exact Boltzmann moments by enumeration (num_nodes <= 24); with `clamp` (n values) only partitions
// 1-3 are enumerated and partition 0 is fixed.
RbmMoments exact_moments(const Rbm& rbm, const std::vector<uint8_t>* clamp = nullptr);

struct RbmGradient {
  std::array<std::vector<float>, 6> w;  // n x n per pair, masked entries 0
  std::array<std::vector<float>, 4> b;
};

// data: batch x 4n floats (may be relaxed in [0,1]); model: chains x 4n uint8 states.
// Centred gradient (Cho/Melchior, offset 1/2(mu_d + mu_m)), means clamped to [1e-4, 1-1e-4]:
// dW_pq = (C_d - C_m)_pq masked (unbiased covariances),
// db_p = (mu_d - mu_m)_p - 1/2 sum_{q>p} dW_pq (mu_d+mu_m)_q - 1/2 sum_{q<p} dW_qp^T (mu_d+mu_m)_q.
RbmGradient centred_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                             std::span<const uint8_t> model, int chains);
RbmGradient centred_gradient(const Rbm& rbm, const RbmMoments& data, const RbmMoments& model);
RbmGradient plain_gradient(const Rbm& rbm, const RbmMoments& data, const RbmMoments& model);
// Plain (uncentred) log-likelihood gradient, same layout.
RbmGradient plain_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                           std::span<const uint8_t> model, int chains);
// The CD chains' start at data rows (values in [0, 1]): chain_start_bit of each
// (kernels/rbm/moment_math.hpp, what the device CD-k's start kernel writes).
std::vector<uint8_t> chain_start_states(std::span<const float> data);
// CD-k: chains start at the data (bits z = data > 0.5, partition 0 clamped to the data's), k sweeps
// at beta; returns the centred gradient of `data` against those chains. On the CUDA path `graph`
// (when given) keeps the device graph between calls (BlockGibbsSampler::share_device_graph).
RbmGradient cd_k_gradient(const Rbm& rbm, std::span<const float> data, int batch, int k,
                          uint64_t seed, GibbsPath path = GibbsPath::cpu_sparse, float beta = 1.0f,
                          std::shared_ptr<DeviceRbmGraph> graph = nullptr);
// PCD: advances the persistent chains k sweeps under the current RBM (set_rbm first) and returns
// the centred gradient of `data` against them.
RbmGradient pcd_gradient(const Rbm& rbm, BlockGibbsSampler& chains, std::span<const float> data,
                         int batch, int k, float beta = 1.0f);
// SGD ascent: theta += lr * grad, masked. Partition-0 bias updated only if `update_bias0`.
void apply_gradient(Rbm& rbm, const RbmGradient& g, float lr, bool update_bias0 = true);

}  // namespace calo
