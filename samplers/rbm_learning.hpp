#pragma once
// Centred ("enhanced") gradient of the RBM log-likelihood (research/caloqvae.md section 6), masked.
#include <array>
#include <span>
#include <vector>

#include "samplers/rbm.hpp"

namespace calo {

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
// Plain (uncentred) log-likelihood gradient, same layout.
RbmGradient plain_gradient(const Rbm& rbm, std::span<const float> data, int batch,
                           std::span<const uint8_t> model, int chains);
// SGD ascent: theta += lr * grad, masked. Partition-0 bias updated only if `update_bias0`.
void apply_gradient(Rbm& rbm, const RbmGradient& g, float lr, bool update_bias0 = true);

}  // namespace calo
