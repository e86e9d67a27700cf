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

using namespace calo;

namespace {

Rbm small_rbm(int n, uint64_t seed) {
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), n);
  r.init_random(seed, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.3f);
  return r;
}

// A relaxed posterior (B x 3n in (0, 1)) and incident energies over 1 GeV .. 1 TeV.
void posterior_batch(int B, int n, uint64_t seed, std::vector<float>& post,
                     std::vector<float>& energies) {
  post.resize(size_t(B) * 3 * size_t(n));
  energies.resize(size_t(B));
  for (size_t i = 0; i < post.size(); ++i) post[i] = uniform(seed, 1, i);
  for (size_t b = 0; b < energies.size(); ++b)
    energies[b] = std::pow(10.0f, 3.0f + 3.0f * uniform(seed, 2, b));
}

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
// gradient up to the device's summation (FMA) rounding; the posterior never comes down, only the
// coupling sums do; up go the energies (and the graph, first time).
TEST(CdDevice, CudaCdGradientMatchesHostDataPathWithinBudget) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 8);
  const int B = 40, n = rbm.n(), N = rbm.num_nodes();
  std::vector<float> post, e;
  posterior_batch(B, n, 9, post, e);
  const DeviceArray<float> d_post = DeviceArray<float>::from_host(post);
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
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < ref.w[size_t(k)].size(); ++i)
      EXPECT_NEAR(got.w[size_t(k)][i], ref.w[size_t(k)][i], 1e-6) << k << " " << i;
  for (int p = 0; p < 4; ++p)
    for (size_t i = 0; i < ref.b[size_t(p)].size(); ++i)
      EXPECT_NEAR(got.b[size_t(p)][i], ref.b[size_t(p)][i], 1e-6) << p << " " << i;
}
