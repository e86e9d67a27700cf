#include "samplers/cd_device.hpp"

#include "host/device_memory.hpp"
#include "host/error.hpp"
#include "kernels/rbm/cd_launch.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

namespace {
template <class T>
CouplingMomentSums sums_impl(const T* z, StateLayout layout, int64_t rows,
                             const RbmSparseGraph& graph) {
  const int N = static_cast<int>(graph.bias.size());
  CouplingMomentSums s;
  s.mu.resize(size_t(N));
  s.pair.resize(graph.nbr.size());
#pragma omp parallel for schedule(static)
  for (int a = 0; a < N; ++a) {
    s.mu[size_t(a)] = node_moment_sum(z, layout, rows, a);
    for (int32_t e = graph.offsets[size_t(a)]; e < graph.offsets[size_t(a) + 1]; ++e)
      s.pair[size_t(e)] = pair_moment_sum(z, layout, rows, a, graph.nbr[size_t(e)]);
  }
  return s;
}

CouplingMomentSums download(const DeviceArray<double>& mu, const DeviceArray<double>& pair) {
  CouplingMomentSums s;
  s.mu.resize(mu.size());
  s.pair.resize(pair.size());
  mu.download(s.mu);
  pair.download(s.pair);
  return s;
}
}  // namespace

CouplingMomentSums coupling_moment_sums(const float* z, StateLayout layout, int64_t rows,
                                        const RbmSparseGraph& graph) {
  return sums_impl(z, layout, rows, graph);
}
CouplingMomentSums coupling_moment_sums(const uint8_t* z, StateLayout layout, int64_t rows,
                                        const RbmSparseGraph& graph) {
  return sums_impl(z, layout, rows, graph);
}

RbmMoments moments_from_coupling_sums(const CouplingMomentSums& sums, const RbmSparseGraph& graph,
                                      int64_t rows) {
  const size_t N = graph.bias.size();
  if (sums.mu.size() != N || sums.pair.size() != graph.nbr.size())
    fail("coupling moments: {} node and {} pair sums for a graph of {} nodes and {} entries",
         sums.mu.size(), sums.pair.size(), N, graph.nbr.size());
  RbmMoments m;
  m.mu = sums.mu;
  m.second.assign(N * N, 0.0);
  for (size_t a = 0; a < N; ++a)
    for (int32_t e = graph.offsets[a]; e < graph.offsets[a + 1]; ++e)
      m.second[a * N + size_t(graph.nbr[size_t(e)])] = sums.pair[size_t(e)];
  return moments_from_sums(std::move(m), rows);
}

namespace {
// The moment sums of the data rows (device, batch x 4n, row-major) and of the chains after their
// run (node-major), into `data` and `model`.
void sums_on_device(const float* d_data, int batch, const BlockGibbsSampler& chains,
                    DeviceMomentSums& data, DeviceMomentSums& model) {
  const int N = 4 * chains.n(), C = chains.chains();
  const DeviceRbmGraph& dg = chains.device_graph();
  moment_sums_cuda(d_data, N, 1, batch, N, dg.offsets(), dg.nbr(), data.mu.data(),
                   data.pair.data());
  data.rows = batch;
  moment_sums_cuda(chains.device_states(), 1, C, C, N, dg.offsets(), dg.nbr(), model.mu.data(),
                   model.pair.data());
  model.rows = C;
}

DeviceMomentSums sums_buffers(const RbmSparseGraph& graph) {
  DeviceMomentSums s;
  s.mu = DeviceArray<double>(graph.bias.size());
  s.pair = DeviceArray<double>(graph.nbr.size());
  return s;
}

// The centred gradient of the data rows against the chains, formed on the host from the sums.
RbmGradient gradient_on_device(const Rbm& rbm, const float* d_data, int batch,
                               const BlockGibbsSampler& chains) {
  const RbmSparseGraph& sp = chains.sparse();
  DeviceMomentSums d = sums_buffers(sp), m = sums_buffers(sp);
  sums_on_device(d_data, batch, chains, d, m);
  return centred_gradient(rbm, moments_from_coupling_sums(download(d.mu, d.pair), sp, batch),
                          moments_from_coupling_sums(download(m.mu, m.pair), sp, m.rows));
}

// The CD chains of a batch: started at the data's bits (`start`, node-major), `rbm`'s graph.
BlockGibbsSampler cd_chains(const Rbm& rbm, const float* d_posterior, const DeviceArray<float>& e,
                            int batch, uint64_t seed, DeviceArray<float>& data,
                            std::shared_ptr<DeviceRbmGraph> graph) {
  const int N = rbm.num_nodes();
  data = DeviceArray<float>(size_t(batch) * size_t(N));
  DeviceArray<uint8_t> start(size_t(batch) * size_t(N));
  prior_data_cuda(d_posterior, e.data(), batch, rbm.n(), data.data(), start.data());
  BlockGibbsSampler chains(rbm, batch, seed, GibbsPath::cuda);
  chains.share_device_graph(std::move(graph));
  chains.set_states_device(start.data());
  return chains;
}

void check_batch(std::span<const float> energies, int batch, const char* what) {
  if (batch < 1 || energies.size() != size_t(batch))
    fail_input("{} on the device: {} energies for a batch of {}", what, energies.size(), batch);
}

void check_shape(const DeviceRbm& prior, const Rbm& shape) {
  if (prior.n() != shape.n())
    fail("RBM update on the device: the device prior has {} nodes per partition, the host's {}",
         prior.n(), shape.n());
}
}  // namespace

RbmGradient cd_k_gradient_device(const Rbm& rbm, const float* d_posterior,
                                 std::span<const float> energies, int batch, int k, uint64_t seed,
                                 float beta, std::shared_ptr<DeviceRbmGraph> graph) {
  check_batch(energies, batch, "CD-k");
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data;
  BlockGibbsSampler chains = cd_chains(rbm, d_posterior, e, batch, seed, data, std::move(graph));
  chains.run(k, beta);  // brings the device graph up to this RBM, too
  return gradient_on_device(rbm, data.data(), batch, chains);
}

void cd_k_update_device(DeviceRbm& prior, const Rbm& shape, const float* d_posterior,
                        std::span<const float> energies, int batch, int k, uint64_t seed, float lr,
                        float beta) {
  check_batch(energies, batch, "CD-k");
  check_shape(prior, shape);
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data;
  BlockGibbsSampler chains = cd_chains(shape, d_posterior, e, batch, seed, data, prior.graph());
  chains.run(k, beta);  // on the device's parameters (the graph is the device's)
  sums_on_device(data.data(), batch, chains, prior.data_sums(), prior.model_sums());
  prior.apply_centred_update(lr, false);
}

RbmGradient pcd_gradient_device(const Rbm& rbm, BlockGibbsSampler& chains, const float* d_posterior,
                                std::span<const float> energies, int batch, int k, float beta) {
  check_batch(energies, batch, "PCD");
  if (chains.path() != GibbsPath::cuda)
    fail("PCD on the device: the persistent chains run on the CPU path, not on CUDA");
  chains.set_rbm(rbm);
  chains.run(k, beta);
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data(size_t(batch) * size_t(rbm.num_nodes()));
  prior_data_cuda(d_posterior, e.data(), batch, rbm.n(), data.data(), nullptr);
  return gradient_on_device(rbm, data.data(), batch, chains);
}

void pcd_update_device(DeviceRbm& prior, BlockGibbsSampler& chains, const float* d_posterior,
                       std::span<const float> energies, int batch, int k, float lr, float beta) {
  check_batch(energies, batch, "PCD");
  if (chains.path() != GibbsPath::cuda || !chains.device_graph().parameters_on_device())
    fail("PCD on the device: the persistent chains must run on CUDA with the device prior's graph");
  if (chains.n() != prior.n())
    fail("PCD on the device: chains of {} nodes per partition for a prior of {}", chains.n(),
         prior.n());
  chains.run(k, beta);
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data(size_t(batch) * size_t(4 * prior.n()));
  prior_data_cuda(d_posterior, e.data(), batch, prior.n(), data.data(), nullptr);
  sums_on_device(data.data(), batch, chains, prior.data_sums(), prior.model_sums());
  prior.apply_centred_update(lr, false);
}

}  // namespace calo
