// The device CD-k update (samplers/cd_device.hpp): its shared pieces against the host learning
// code on the CPU (exact: the same sums in the same order), and the whole update against
// cd_k_gradient with its transfer budget where a GPU exists.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "host/device_memory.hpp"
#include "host/latent_layout.hpp"
#include "host/topology/graph.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "kernels/rbm/moment_math.hpp"
#include "samplers/cd_device.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/rbm_learning.hpp"
#include "tests/rbm/rbm_test_util.hpp"

using namespace calo;
using calo::testing::small_rbm;

namespace {

// A relaxed posterior (B x 3n in (0, 1)) and incident energies over 1 GeV .. 1 TeV.
void posterior_batch(int B, int n, uint64_t seed, std::vector<float>& post,
                     std::vector<float>& energies) {
  post.resize(size_t(B) * 3 * size_t(n));
  energies.resize(size_t(B));
  for (size_t i = 0; i < post.size(); ++i) post[i] = uniform(seed, 1, i);
  for (size_t b = 0; b < energies.size(); ++b)
    energies[b] = std::pow(10.0f, 3.0f + 3.0f * uniform(seed, 2, b));
}

// A batch's relaxed posterior and energies, the posterior also on the device (GPU tests only).
struct DevicePosterior {
  std::vector<float> post, e;
  DeviceArray<float> d_post;
  DevicePosterior(int B, int n, uint64_t seed) {
    posterior_batch(B, n, seed, post, e);
    d_post = DeviceArray<float>::from_host(post);
  }
};

}  // namespace

TEST(CdDevice, PriorDataUnitsAreLatentLayoutsFloatStates) {
  const int B = 5, n = 64;  // n >= 60: the energy code fills partition 0
  std::vector<float> post, e;
  posterior_batch(B, n, 3, post, e);
  const std::vector<float> ref = LatentLayout(n).float_states(e, post);
  for (int64_t r = 0; r < B; ++r)
    for (int node = 0; node < 4 * n; ++node) {
      const float v = prior_data_unit(post.data(), e.data(), r, node, n);
      ASSERT_EQ(v, ref[size_t(r * 4 * n + node)]) << r << " " << node;
      EXPECT_EQ(chain_start_bit(v), v > 0.5f ? 1 : 0);
    }
}

// The coupling sums (the CALO_HD functions the kernels run) are moment_sums() at the coupled
// entries, exactly, for relaxed row-major data and for node-major chain bytes; the gradient from
// them is the host centred gradient, bit for bit.
TEST(CdDevice, CouplingSumsAndGradientEqualTheHostLearningCode) {
  const Rbm rbm = small_rbm(16, 4);
  const int B = 9, N = rbm.num_nodes();
  std::vector<float> post, e;
  posterior_batch(B, rbm.n(), 5, post, e);
  const std::vector<float> data = LatentLayout(rbm.n()).float_states(e, post);
  BlockGibbsSampler chains(rbm, B, 6);
  chains.randomize(7);
  chains.clamp_energies(e);
  chains.run(3);
  const std::vector<uint8_t> model = chains.states();  // chain-major
  std::vector<uint8_t> node_major(model.size());
  for (int c = 0; c < B; ++c)
    for (int i = 0; i < N; ++i) node_major[size_t(i) * B + size_t(c)] = model[size_t(c) * N + i];
  const RbmSparseGraph& sp = chains.sparse();

  const CouplingMomentSums ds = coupling_moment_sums(data.data(), StateLayout{N, 1}, B, sp);
  const CouplingMomentSums ms = coupling_moment_sums(node_major.data(), StateLayout{1, B}, B, sp);
  const RbmMoments dref = moment_sums(data, B, N), mref = moment_sums(model, B, N);
  for (int a = 0; a < N; ++a) {
    EXPECT_EQ(ds.mu[size_t(a)], dref.mu[size_t(a)]);
    EXPECT_EQ(ms.mu[size_t(a)], mref.mu[size_t(a)]);
    for (int32_t k = sp.offsets[size_t(a)]; k < sp.offsets[size_t(a) + 1]; ++k) {
      const size_t at = size_t(a) * size_t(N) + size_t(sp.nbr[size_t(k)]);
      EXPECT_EQ(ds.pair[size_t(k)], dref.second[at]);
      EXPECT_EQ(ms.pair[size_t(k)], mref.second[at]);
    }
  }
  ASSERT_FALSE(sp.nbr.empty());

  const RbmGradient ref = centred_gradient(rbm, data, B, model, B);
  const RbmGradient got = centred_gradient(rbm, moments_from_coupling_sums(ds, sp, B),
                                           moments_from_coupling_sums(ms, sp, B));
  for (int k = 0; k < 6; ++k) EXPECT_EQ(got.w[size_t(k)], ref.w[size_t(k)]) << "pair " << k;
  for (int p = 0; p < 4; ++p) EXPECT_EQ(got.b[size_t(p)], ref.b[size_t(p)]) << "partition " << p;
}

// The device CD-k against the host-data CD-k on the same CUDA chains (same draws): the same
// gradient bit for bit (the device sums run in the host's order, without FMA); the posterior never
// comes down, only the
// coupling sums do; up go the energies (and the graph, first time).
TEST(CdDevice, CudaCdGradientMatchesHostDataPathWithinBudget) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 8);
  const int B = 40, n = rbm.n(), N = rbm.num_nodes();
  const DevicePosterior batch(B, n, 9);
  const std::vector<float>&post = batch.post, &e = batch.e;
  const DeviceArray<float>& d_post = batch.d_post;
  const auto graph = std::make_shared<DeviceRbmGraph>();
  const RbmGradient ref =
      cd_k_gradient(rbm, LatentLayout(n).float_states(e, post), B, 3, 10, GibbsPath::cuda);
  cd_k_gradient_device(rbm, d_post.data(), e, B, 3, 10, 1.0f, graph);  // graph goes up
  const TransferCounts t0 = transfer_counts();
  const RbmGradient got = cd_k_gradient_device(rbm, d_post.data(), e, B, 3, 10, 1.0f, graph);
  const TransferCounts t = transfer_counts() - t0;
  const size_t nnz = BlockGibbsSampler(rbm, 1, 1).sparse().nbr.size();
  EXPECT_EQ(t.h2d_calls, 1u);
  EXPECT_EQ(t.h2d_bytes, uint64_t(B) * sizeof(float));
  EXPECT_EQ(t.d2h_calls, 4u);
  EXPECT_EQ(t.d2h_bytes, 2 * (uint64_t(N) + nnz) * sizeof(double));
  calo::testing::expect_gradient_equal(got, ref);
}

// PCD with the data on the device against pcd_gradient on an identical pair of persistent CUDA
// chains: the same gradient and the same chains; the posterior does not come down, and the
// chains stay on the device (only the coupling sums come back).
TEST(CdDevice, CudaPcdGradientMatchesHostDataPathWithinBudget) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 11);
  const int B = 24, n = rbm.n(), N = rbm.num_nodes();
  const DevicePosterior batch(B, n, 12);
  const std::vector<float>&post = batch.post, &e = batch.e;
  const DeviceArray<float>& d_post = batch.d_post;
  BlockGibbsSampler host_data(rbm, B, 13, GibbsPath::cuda),
      device_data(rbm, B, 13, GibbsPath::cuda);
  for (BlockGibbsSampler* c : {&host_data, &device_data}) {
    c->randomize(14);
    c->clamp_energies(e);
    c->run(1);  // chains on the device, as after an earlier PCD batch
  }
  const RbmGradient ref = pcd_gradient(rbm, host_data, LatentLayout(n).float_states(e, post), B, 2);
  const TransferCounts t0 = transfer_counts();
  const RbmGradient got = pcd_gradient_device(rbm, device_data, d_post.data(), e, B, 2);
  const TransferCounts t = transfer_counts() - t0;
  const size_t nnz = host_data.sparse().nbr.size();
  const uint64_t graph_bytes =
      (host_data.sparse().w.size() + host_data.sparse().bias.size()) * sizeof(float);
  EXPECT_EQ(t.d2h_calls, 4u);
  EXPECT_EQ(t.d2h_bytes, 2 * (uint64_t(N) + nnz) * sizeof(double));
  // set_rbm re-reads the same parameters: nothing of the graph goes up, only the energies.
  EXPECT_EQ(t.h2d_bytes, uint64_t(B) * sizeof(float)) << "graph would be " << graph_bytes;
  EXPECT_EQ(device_data.states(), host_data.states());
  calo::testing::expect_gradient_equal(got, ref);
}

// The device clamp writes energy_code_bit, which is LatentLayout's code bit for bit (n with two
// repetitions of the 60-bit block and a zero remainder).
TEST(CdDevice, ClampCodeBitsAreTheLatentLayoutCode) {
  const int n = 130;
  for (float e : {1000.0f, 4321.5f, 65536.0f, 999999.0f}) {
    const std::vector<uint8_t> code = LatentLayout(n).code(double(e));
    for (int i = 0; i < n; ++i) EXPECT_EQ(energy_code_bit(double(e), i, n), code[size_t(i)]) << i;
  }
}

// restart_draws: the trainer's persistent sampler, given a batch's seed, draws what a sampler
// built for that batch from the same states draws.
TEST(CdDevice, RestartDrawsIsAFreshSamplerOnTheSameStates) {
  const Rbm rbm = small_rbm(16, 15);
  BlockGibbsSampler kept(rbm, 10, 1);
  kept.randomize(2);
  kept.run(3);
  BlockGibbsSampler fresh(rbm, 10, 77);
  fresh.set_states(kept.states());
  kept.restart_draws(77);
  kept.run(2);
  fresh.run(2);
  EXPECT_EQ(kept.states(), fresh.states());
  EXPECT_EQ(kept.sweeps_done(), 2u);
}

// Three PCD batches as the trainer runs them on CUDA: chains kept on the device (restart_draws,
// device clamp, pcd_gradient_device) against the host round trip (a sampler per batch from the
// host states). Same chains, same gradients; per batch only the energies (twice) and the updated
// parameters go up and the coupling sums come down.
TEST(CdDevice, CudaPersistentChainsMatchTheHostRoundTrip) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Rbm rbm_a = small_rbm(16, 16), rbm_b = small_rbm(16, 16);
  const int B = 20, n = rbm_a.n(), N = rbm_a.num_nodes();
  std::vector<uint8_t> host_chains(size_t(B) * size_t(N), 0);
  BlockGibbsSampler device_chains(rbm_b, B, 0, GibbsPath::cuda);
  const auto graph = std::make_shared<DeviceRbmGraph>();
  device_chains.share_device_graph(graph);
  device_chains.set_states(host_chains);
  for (int step = 0; step < 3; ++step) {
    const DevicePosterior batch(B, n, 20 + uint64_t(step));
    const std::vector<float>&post = batch.post, &e = batch.e;
    const DeviceArray<float>& d_post = batch.d_post;
    const uint64_t seed = 100 + uint64_t(step);
    BlockGibbsSampler chains(rbm_a, B, seed, GibbsPath::cuda);
    chains.set_states(host_chains);
    chains.clamp_energies(e);
    const RbmGradient ref =
        pcd_gradient(rbm_a, chains, LatentLayout(n).float_states(e, post), B, 2);
    host_chains = chains.states();

    const TransferCounts t0 = transfer_counts();
    device_chains.restart_draws(seed);
    device_chains.clamp_energies(e);
    const RbmGradient got = pcd_gradient_device(rbm_b, device_chains, d_post.data(), e, B, 2);
    const TransferCounts t = transfer_counts() - t0;
    const RbmSparseGraph& sp = device_chains.sparse();
    const uint64_t params = (sp.w.size() + sp.bias.size()) * sizeof(float);
    const uint64_t states = uint64_t(B) * uint64_t(N);
    // First batch: the host states and the whole graph go up; later ones: energies + parameters.
    const uint64_t graph_up =
        step == 0 ? states + params + (sp.offsets.size() + sp.nbr.size()) * sizeof(int32_t)
                  : params;
    EXPECT_EQ(t.h2d_bytes, graph_up + (step == 0 ? 1 : 2) * uint64_t(B) * sizeof(float)) << step;
    EXPECT_EQ(t.d2h_calls, 4u) << step;
    EXPECT_EQ(t.d2h_bytes, 2 * (uint64_t(N) + sp.nbr.size()) * sizeof(double)) << step;
    EXPECT_EQ(device_chains.states(), host_chains) << step;
    for (int k = 0; k < 6; ++k)
      for (size_t i = 0; i < ref.w[size_t(k)].size(); ++i)
        ASSERT_EQ(got.w[size_t(k)][i], ref.w[size_t(k)][i]) << step << " " << k;
    apply_gradient(rbm_a, ref, 0.05f, false);
    apply_gradient(rbm_b, ref, 0.05f, false);
  }
}
