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
// The centred gradient of the data rows (device, batch x 4n) against the chains after their run.
RbmGradient gradient_on_device(const Rbm& rbm, const float* d_data, int batch,
                               const BlockGibbsSampler& chains) {
  const int N = rbm.num_nodes();
  const DeviceRbmGraph& dg = chains.device_graph();
  const RbmSparseGraph& sp = chains.sparse();
  DeviceArray<double> mu(static_cast<size_t>(N)), pair(sp.nbr.size());
  moment_sums_cuda(d_data, N, 1, batch, N, dg.offsets(), dg.nbr(), mu.data(), pair.data());
  const CouplingMomentSums ds = download(mu, pair);
  const int C = chains.chains();
  moment_sums_cuda(chains.device_states(), 1, C, C, N, dg.offsets(), dg.nbr(), mu.data(),
                   pair.data());
  const CouplingMomentSums ms = download(mu, pair);
  return centred_gradient(rbm, moments_from_coupling_sums(ds, sp, batch),
                          moments_from_coupling_sums(ms, sp, C));
}
}  // namespace

RbmGradient cd_k_gradient_device(const Rbm& rbm, const float* d_posterior,
                                 std::span<const float> energies, int batch, int k, uint64_t seed,
                                 float beta, std::shared_ptr<DeviceRbmGraph> graph) {
  const int n = rbm.n(), N = rbm.num_nodes();
  if (batch < 1 || energies.size() != size_t(batch))
    fail_input("CD-k on the device: {} energies for a batch of {}", energies.size(), batch);
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data(size_t(batch) * size_t(N));
  DeviceArray<uint8_t> start(size_t(batch) * size_t(N));
  prior_data_cuda(d_posterior, e.data(), batch, n, data.data(), start.data());
  BlockGibbsSampler chains(rbm, batch, seed, GibbsPath::cuda);
  chains.share_device_graph(std::move(graph));
  chains.set_states_device(start.data());
  chains.run(k, beta);  // brings the device graph up to this RBM, too
  return gradient_on_device(rbm, data.data(), batch, chains);
}

RbmGradient pcd_gradient_device(const Rbm& rbm, BlockGibbsSampler& chains, const float* d_posterior,
                                std::span<const float> energies, int batch, int k, float beta) {
  if (batch < 1 || energies.size() != size_t(batch))
    fail_input("PCD on the device: {} energies for a batch of {}", energies.size(), batch);
  if (chains.path() != GibbsPath::cuda)
    fail("PCD on the device: the persistent chains run on the CPU path, not on CUDA");
  chains.set_rbm(rbm);
  chains.run(k, beta);
  const DeviceArray<float> e = DeviceArray<float>::from_host(energies);
  DeviceArray<float> data(size_t(batch) * size_t(rbm.num_nodes()));
  prior_data_cuda(d_posterior, e.data(), batch, rbm.n(), data.data(), nullptr);
  return gradient_on_device(rbm, data.data(), batch, chains);
}

}  // namespace calo
