#pragma once
// CD-k of the RBM prior with the data and the chains on the device (the CUDA training step). The
// posterior stays where the encoder left it; the data rows and the chains' start states are built
// there (kernels/rbm/cd.cu), the chains run there, and so are the moment sums over the RBM's
// couplings. The *_update_device functions (training) apply the update on the device too
// (samplers/device_rbm.hpp); the *_gradient_device ones bring the sums down and form the same
// centred gradient as cd_k_gradient (samplers/rbm_learning.hpp) on the host.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/rbm/moment_math.hpp"
#include "samplers/device_rbm.hpp"
#include "samplers/device_rbm_graph.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/rbm.hpp"
#include "samplers/rbm_learning.hpp"

namespace calo {

// CPU reference of the device sums: the same CALO_HD functions over `rows` rows of z.
CouplingMomentSums coupling_moment_sums(const float* z, StateLayout layout, int64_t rows,
                                        const RbmSparseGraph& graph);
CouplingMomentSums coupling_moment_sums(const uint8_t* z, StateLayout layout, int64_t rows,
                                        const RbmSparseGraph& graph);
// Moments of `rows` rows (mu and the coupled entries of second; the rest 0, which the gradients
// never read): what moments_from_states gives at those entries.
RbmMoments moments_from_coupling_sums(const CouplingMomentSums& sums, const RbmSparseGraph& graph,
                                      int64_t rows);

// cd_k_gradient on the device: data = (energy code, posterior) rows, chains started at its bits,
// k sweeps at beta. d_posterior: device, batch x 3n (the encoder's relaxed posterior); energies:
// host, batch. `graph` (optional) keeps the device graph between calls.
RbmGradient cd_k_gradient_device(const Rbm& rbm, const float* d_posterior,
                                 std::span<const float> energies, int batch, int k, uint64_t seed,
                                 float beta = 1.0f,
                                 std::shared_ptr<DeviceRbmGraph> graph = nullptr);

// cd_k_gradient_device with the update applied on the device: `prior`'s parameters step by lr
// times the centred gradient (partition-0 bias fixed), and nothing comes to the host. `shape` is
// the host copy of the prior: its size and graph (its parameters may be stale).
void cd_k_update_device(DeviceRbm& prior, const Rbm& shape, const float* d_posterior,
                        std::span<const float> energies, int batch, int k, uint64_t seed, float lr,
                        float beta = 1.0f);

// pcd_gradient with the data on the device: advances the persistent CUDA chains k sweeps under
// the current RBM (set_rbm first, as pcd_gradient does) and returns the centred gradient of the
// (energy code, posterior) rows against them. The chains' states stay on the device.
RbmGradient pcd_gradient_device(const Rbm& rbm, BlockGibbsSampler& chains, const float* d_posterior,
                                std::span<const float> energies, int batch, int k,
                                float beta = 1.0f);
// pcd_gradient_device with the update applied on the device (as cd_k_update_device); the chains
// share `prior`'s graph (BlockGibbsSampler::share_device_graph(prior.graph())).
void pcd_update_device(DeviceRbm& prior, BlockGibbsSampler& chains, const float* d_posterior,
                       std::span<const float> energies, int batch, int k, float lr,
                       float beta = 1.0f);

}  // namespace calo
