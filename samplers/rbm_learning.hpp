#pragma once
// Centred ("enhanced") gradient of the RBM log-likelihood (research/caloqvae.md section 6), masked.
#include <array>
#include <span>
#include <vector>

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
// Exact Boltzmann moments by enumeration (num_nodes <= 24); with `clamp` (n values) only partitions
// 1-3 are enumerated and partition 0 is fixed.
RbmMoments exact_moments(const Rbm& rbm, const std::vector<uint8_t>* clamp = nullptr);

struct RbmGradient {
  std::array<std::vector<float>, 6> w;  // n x n per pair, masked entries 0
  std::array<std::vector<float>, 4> b;
};

// data: batch x 4n floats (may be relaxed in [0,1]); model: chains x 4n uint8 states.
// Centred gradient: centres mu = mean of data per node (0.5*(data+model) mean when
// `average_centres`); dW_pq = <(z_p-mu_p)(z_q-mu_q)^T>_data - <...>_model,
// db = <z>_data - <z>_model - dW mu (cross terms), masked.
RbmGradient centred_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                             std::span<const uint8_t> model, int chains,
                             bool average_centres = true);
RbmGradient centred_gradient(const Rbm& rbm, const RbmMoments& data, const RbmMoments& model);
RbmGradient plain_gradient(const Rbm& rbm, const RbmMoments& data, const RbmMoments& model);
// Plain (uncentred) log-likelihood gradient, same layout.
RbmGradient plain_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                           std::span<const uint8_t> model, int chains);
// SGD ascent: theta += lr * grad, masked. Partition-0 bias updated only if `update_bias0`.
void apply_gradient(Rbm& rbm, const RbmGradient& g, float lr, bool update_bias0 = true);

}  // namespace calo
