// The RBM learning update on the device (samplers/device_rbm.hpp): its CSR reference against the
// host learning code (centred_gradient + apply_gradient, bit for bit), the packed layout, and,
// where a GPU exists, the CUDA update and the training CD-k/PCD against the host paths with
// nothing coming back to the host.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/device_memory.hpp"
#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "samplers/cd_device.hpp"
#include "samplers/device_rbm.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/rbm_learning.hpp"
#include "tests/rbm/rbm_test_util.hpp"

using namespace calo;
using calo::testing::small_rbm;

namespace {

// Data rows (energy code + a relaxed posterior in (0, 1)) and CPU chains of `chains` rows.
struct Batch {
  std::vector<float> post, energies, data;
  std::vector<uint8_t> chains_node_major;
  int rows = 0, chains = 0;
};
Batch make_batch(const Rbm& rbm, int rows, int chains, uint64_t seed) {
  Batch b;
  b.rows = rows;
  b.chains = chains;
  const int n = rbm.n(), N = rbm.num_nodes();
  b.post.resize(size_t(rows) * 3 * size_t(n));
  for (size_t i = 0; i < b.post.size(); ++i) b.post[i] = uniform(seed, 1, i);
  for (int r = 0; r < rows; ++r)
    b.energies.push_back(std::pow(10.0f, 3.0f + 3.0f * uniform(seed, 2, uint64_t(r))));
  b.data = LatentLayout(n).float_states(b.energies, b.post);
  BlockGibbsSampler g(rbm, chains, seed + 1);
  g.randomize(seed + 2);
  g.run(2);
  const std::vector<uint8_t> s = g.states();
  b.chains_node_major.resize(s.size());
  for (int c = 0; c < chains; ++c)
    for (int i = 0; i < N; ++i)
      b.chains_node_major[size_t(i) * size_t(chains) + size_t(c)] = s[size_t(c) * size_t(N) + i];
  return b;
}

MomentSumsView view(const CouplingMomentSums& s, int64_t rows) {
  return {s.mu.data(), s.pair.data(), rows};
}

}  // namespace

TEST(DeviceRbm, PackUnpackRoundTripsAndRefusesAnotherGraph) {
  const Rbm a = small_rbm(16, 1);
  Rbm b = small_rbm(16, 2);
  ASSERT_NE(a.pack(), b.pack());
  b.unpack(a.pack());
  EXPECT_EQ(b.pack(), a.pack());
  for (int p = 0; p < 4; ++p) EXPECT_EQ(b.bias(p), a.bias(p));
  std::vector<float> bad = a.pack();
  bad.pop_back();
  EXPECT_THROW(b.unpack(bad), Error);
  bad = a.pack();
  size_t uncoupled = 0;  // first entry of W_01 without a coupler
  while (a.mask(0, 1)[uncoupled]) ++uncoupled;
  bad[uncoupled] = 0.25f;
  EXPECT_THROW(b.unpack(bad), Error);
  EXPECT_EQ(b.pack(), a.pack()) << "a refused unpack changes nothing";
}

TEST(DeviceRbm, PackedIndicesAreTheRbmsBlocks) {
  const Rbm r = small_rbm(16, 3);
  const int n = r.n();
  const std::vector<float> packed = r.pack();
  ASSERT_EQ(int64_t(packed.size()), packed_rbm_size(n));
  for (const auto& [p, q] : kRbmPairs)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const float w = r.weights(p, q)[size_t(i) * size_t(n) + size_t(j)];
        EXPECT_EQ(packed[size_t(packed_coupling_index(p * n + i, q * n + j, n))], w);
        EXPECT_EQ(packed[size_t(packed_coupling_index(q * n + j, p * n + i, n))], w);
      }
  for (int a = 0; a < 4 * n; ++a)
    EXPECT_EQ(packed[size_t(packed_bias_index(a, n))], r.bias(a / n)[size_t(a % n)]);
}

// The CSR update (what the CUDA kernels run, in their order) steps the packed parameters exactly
// as centred_gradient + apply_gradient step the host RBM, with and without the partition-0
// biases, for one data row (no Bessel correction) and for several, over three updates.
TEST(DeviceRbm, CsrUpdateIsTheCentredGradientStepBitForBit) {
  for (const bool bias0 : {false, true})
    for (const int rows : {1, 9}) {
      Rbm host = small_rbm(16, 4);
      std::vector<float> packed = host.pack();
      const RbmSparseGraph sp = sparse_graph(host);
      for (int step = 0; step < 3; ++step) {
        const Batch b = make_batch(host, rows, 7, 10 + uint64_t(step));
        const CouplingMomentSums ds =
            coupling_moment_sums(b.data.data(), StateLayout{host.num_nodes(), 1}, rows, sp);
        const CouplingMomentSums ms = coupling_moment_sums(b.chains_node_major.data(),
                                                           StateLayout{1, b.chains}, b.chains, sp);
        centred_update_reference(sp, host.n(), view(ds, rows), view(ms, b.chains), packed, 0.05f,
                                 bias0);
        const RbmGradient g = centred_gradient(host, moments_from_coupling_sums(ds, sp, rows),
                                               moments_from_coupling_sums(ms, sp, b.chains));
        apply_gradient(host, g, 0.05f, bias0);
        ASSERT_EQ(packed, host.pack()) << "bias0 " << bias0 << " rows " << rows << " step " << step;
      }
      EXPECT_NE(packed, small_rbm(16, 4).pack()) << "the updates changed the parameters";
    }
}

TEST(DeviceRbm, SparseFromPackedIsTheSamplersGraph) {
  const Rbm r = small_rbm(16, 5);
  const RbmSparseGraph ref = sparse_graph(r);
  RbmSparseGraph got = ref;
  got.w.assign(got.w.size(), 0.0f);
  got.bias.clear();
  sparse_from_packed(got, r.n(), r.pack());
  EXPECT_EQ(got.w, ref.w);
  EXPECT_EQ(got.bias, ref.bias);
}

// The CUDA update equals the CSR reference bit for bit, and the samplers sharing its graph draw
// what a sampler of the updated host RBM draws.
TEST(DeviceRbm, CudaUpdateEqualsTheReferenceAndFeedsTheSamplers) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Rbm host = small_rbm(16, 6);
  DeviceRbm dev(host);
  const RbmSparseGraph sp = sparse_graph(host);
  std::vector<float> packed = host.pack();
  const Batch b = make_batch(host, 9, 12, 30);
  const CouplingMomentSums ds =
      coupling_moment_sums(b.data.data(), StateLayout{host.num_nodes(), 1}, b.rows, sp);
  const CouplingMomentSums ms =
      coupling_moment_sums(b.chains_node_major.data(), StateLayout{1, b.chains}, b.chains, sp);
  dev.data_sums().mu.upload(ds.mu);
  dev.data_sums().pair.upload(ds.pair);
  dev.data_sums().rows = b.rows;
  dev.model_sums().mu.upload(ms.mu);
  dev.model_sums().pair.upload(ms.pair);
  dev.model_sums().rows = b.chains;
  dev.apply_centred_update(0.05f, false);
  centred_update_reference(sp, host.n(), view(ds, b.rows), view(ms, b.chains), packed, 0.05f,
                           false);
  Rbm got = host;
  dev.download_to(got);
  EXPECT_EQ(got.pack(), packed);
  host.unpack(packed);
  BlockGibbsSampler on_device(host, 16, 31, GibbsPath::cuda), cpu(host, 16, 31);
  on_device.share_device_graph(dev.graph());
  for (BlockGibbsSampler* s : {&on_device, &cpu}) {
    s->randomize(32);
    s->run(3);
  }
  EXPECT_EQ(on_device.states(), cpu.states());
}

// Training's CD-k on the device: the prior steps exactly as the host CD-k (CPU chains, the same
// Philox draws) + apply_gradient step it, and per update only the energies go up and nothing
// comes down.
TEST(DeviceRbm, CudaCdUpdateMatchesTheHostStepWithNothingDown) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Rbm host = small_rbm(16, 7);
  const Rbm shape = host;
  DeviceRbm dev(host);
  for (int step = 0; step < 3; ++step) {
    const Batch b = make_batch(host, 24, 1, 40 + uint64_t(step));
    const DeviceArray<float> d_post = DeviceArray<float>::from_host(b.post);
    const uint64_t seed = 50 + uint64_t(step);
    const TransferCounts t0 = transfer_counts();
    cd_k_update_device(dev, shape, d_post.data(), b.energies, b.rows, 3, seed, 0.05f);
    const TransferCounts t = transfer_counts() - t0;
    EXPECT_EQ(t.d2h_calls, 0u) << step;
    EXPECT_EQ(t.h2d_bytes, uint64_t(b.rows) * sizeof(float)) << step;
    apply_gradient(host, cd_k_gradient(host, b.data, b.rows, 3, seed), 0.05f, false);
    Rbm got = shape;
    dev.download_to(got);
    ASSERT_EQ(got.pack(), host.pack()) << step;
  }
}

// Training's PCD on the device: persistent CUDA chains on the device prior's graph against the
// host PCD (CPU chains) + apply_gradient; same chains, same parameters, nothing down.
TEST(DeviceRbm, CudaPcdUpdateMatchesTheHostStepWithNothingDown) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Rbm host = small_rbm(16, 8);
  const Rbm shape = host;
  DeviceRbm dev(host);
  const int B = 20;
  BlockGibbsSampler device_chains(shape, B, 0, GibbsPath::cuda), host_chains(host, B, 0);
  device_chains.share_device_graph(dev.graph());
  for (BlockGibbsSampler* c : {&device_chains, &host_chains}) c->randomize(60);
  for (int step = 0; step < 3; ++step) {
    const Batch b = make_batch(host, B, 1, 70 + uint64_t(step));
    const DeviceArray<float> d_post = DeviceArray<float>::from_host(b.post);
    const uint64_t seed = 80 + uint64_t(step);
    host_chains.restart_draws(seed);
    host_chains.clamp_energies(b.energies);
    apply_gradient(host, pcd_gradient(host, host_chains, b.data, B, 2), 0.05f, false);
    device_chains.restart_draws(seed);
    device_chains.clamp_energies(b.energies);
    const TransferCounts t0 = transfer_counts();
    pcd_update_device(dev, device_chains, d_post.data(), b.energies, B, 2, 0.05f);
    EXPECT_EQ((transfer_counts() - t0).d2h_calls, 0u) << step;
    EXPECT_EQ(device_chains.states(), host_chains.states()) << step;
    Rbm got = shape;
    dev.download_to(got);
    ASSERT_EQ(got.pack(), host.pack()) << step;
  }
}

// A sampler of another graph cannot run on the device prior's graph (its host parameters would
// silently be ignored).
TEST(DeviceRbm, CudaGraphOfAnotherTopologyIsRefused) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm a = small_rbm(16, 9);
  const Rbm other = Rbm::from_graph(zephyr_graph(1, 4), 8);
  DeviceRbm dev(a);
  BlockGibbsSampler s(other, 4, 1, GibbsPath::cuda);
  s.share_device_graph(dev.graph());
  EXPECT_THROW(s.run(1), Error);
}
