// The device copy of the RBM graph is refreshed part by part: the CPU test checks the decision
// (plan_graph_upload) on graphs built from real RBMs; the GPU tests count the uploads and the
// bytes of a training-like sequence of CD-k updates and of a generation job's blocks.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "host/backend.hpp"
#include "host/topology/graph.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "samplers/device_rbm_graph.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/prior_sampler.hpp"
#include "samplers/rbm.hpp"
#include "samplers/rbm_learning.hpp"
#include "tests/rbm/rbm_test_util.hpp"

using namespace calo;
using calo::testing::small_rbm;

namespace {

RbmSparseGraph graph_of(const Rbm& rbm) {
  return BlockGibbsSampler(rbm, 1, 1, GibbsPath::cpu_sparse).sparse();
}

// Data rows (batch x 4n) of 0/1 floats for a CD update.
std::vector<float> data_rows(int batch, int nodes, uint64_t seed) {
  std::vector<float> d(size_t(batch) * size_t(nodes));
  for (size_t i = 0; i < d.size(); ++i) d[i] = uniform(seed, 3, i) < 0.5 ? 1.0f : 0.0f;
  return d;
}

}  // namespace

TEST(DeviceRbmGraph, PlanUploadsOnlyWhatChanged) {
  Rbm rbm = small_rbm(8, 1);
  const RbmSparseGraph first = graph_of(rbm);
  const GraphUploadPlan none_there = plan_graph_upload(nullptr, first);
  EXPECT_TRUE(none_there.topology && none_there.weights && none_there.bias);
  const GraphUploadPlan same = plan_graph_upload(&first, graph_of(rbm));
  EXPECT_FALSE(same.topology || same.weights || same.bias);

  // A learning update (partition-0 bias fixed, as in training) moves weights and free biases.
  const std::vector<float> data = data_rows(6, rbm.num_nodes(), 2);
  apply_gradient(rbm, cd_k_gradient(rbm, data, 6, 1, 3), 0.1f, false);
  const RbmSparseGraph updated = graph_of(rbm);
  const GraphUploadPlan after_update = plan_graph_upload(&first, updated);
  EXPECT_FALSE(after_update.topology);
  EXPECT_TRUE(after_update.weights);
  EXPECT_TRUE(after_update.bias);

  rbm.bias(2)[0] += 1.0f;  // a bias alone
  const GraphUploadPlan bias_only = plan_graph_upload(&updated, graph_of(rbm));
  EXPECT_FALSE(bias_only.topology || bias_only.weights);
  EXPECT_TRUE(bias_only.bias);

  // Another wiring with the same weights: the topology goes up again, the weights do not.
  RbmSparseGraph rewired = updated;
  ASSERT_FALSE(rewired.nbr.empty());
  rewired.nbr[0] += 1;
  const GraphUploadPlan topology_only = plan_graph_upload(&updated, rewired);
  EXPECT_TRUE(topology_only.topology);
  EXPECT_FALSE(topology_only.weights || topology_only.bias);
}

// Training's pattern: CD-k samplers built per batch, sharing one graph. The topology goes up once;
// weights and biases once per learning update; a batch without an update sends only its states.
TEST(DeviceRbmGraph, CudaTopologyOnceWeightsOncePerUpdate) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Rbm rbm = small_rbm(16, 4);
  const int batch = 32, nodes = rbm.num_nodes();
  const auto graph = std::make_shared<DeviceRbmGraph>();
  const std::vector<float> data = data_rows(batch, nodes, 5);
  const RbmSparseGraph sp = graph_of(rbm);
  const uint64_t states_bytes = uint64_t(batch) * uint64_t(nodes);
  const uint64_t graph_bytes =
      (sp.offsets.size() + sp.nbr.size()) * sizeof(int32_t) + (sp.w.size() + sp.bias.size()) * 4;
  const uint64_t params_bytes = (sp.w.size() + sp.bias.size()) * sizeof(float);

  TransferCounts t0 = transfer_counts();
  RbmGradient g = cd_k_gradient(rbm, data, batch, 2, 10, GibbsPath::cuda, 1.0f, graph);
  const TransferCounts first = transfer_counts() - t0;
  EXPECT_EQ(first.h2d_bytes, graph_bytes + states_bytes);
  EXPECT_EQ(first.d2h_bytes, states_bytes);

  t0 = transfer_counts();
  cd_k_gradient(rbm, data, batch, 2, 11, GibbsPath::cuda, 1.0f, graph);  // same parameters
  EXPECT_EQ((transfer_counts() - t0).h2d_bytes, states_bytes);

  apply_gradient(rbm, g, 0.1f, false);
  t0 = transfer_counts();
  cd_k_gradient(rbm, data, batch, 2, 12, GibbsPath::cuda, 1.0f, graph);
  EXPECT_EQ((transfer_counts() - t0).h2d_bytes, params_bytes + states_bytes);
  EXPECT_EQ(graph->uploads().topology, 1u);
  EXPECT_EQ(graph->uploads().weights, 2u);
  EXPECT_EQ(graph->uploads().bias, 2u);

  // Same draws as a sampler with its own graph: sharing changes what is uploaded, not the chains.
  BlockGibbsSampler a(rbm, batch, 13, GibbsPath::cuda), b(rbm, batch, 13, GibbsPath::cuda);
  a.share_device_graph(graph);
  a.randomize(1);
  b.randomize(1);
  a.run(3);
  b.run(3);
  EXPECT_EQ(a.states(), b.states());
}

// Generation's pattern: one prior sampler, many blocks; the RBM goes up with the first block only.
TEST(DeviceRbmGraph, CudaPriorSamplerUploadsTheGraphOncePerJob) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 6);
  const auto prior = make_gibbs_prior_sampler(Backend::cuda, 5);
  const std::vector<float> energies(40, 5000.0f);
  const RbmSparseGraph sp = graph_of(rbm);
  const uint64_t graph_bytes =
      (sp.offsets.size() + sp.nbr.size()) * sizeof(int32_t) + (sp.w.size() + sp.bias.size()) * 4;
  const uint64_t states_bytes = energies.size() * uint64_t(rbm.num_nodes());
  TransferCounts t0 = transfer_counts();
  prior->sample(rbm, energies, 1, 0);
  EXPECT_EQ((transfer_counts() - t0).h2d_bytes, graph_bytes + states_bytes);
  t0 = transfer_counts();
  prior->sample(rbm, energies, 1, 40);
  EXPECT_EQ((transfer_counts() - t0).h2d_bytes, states_bytes);
}
