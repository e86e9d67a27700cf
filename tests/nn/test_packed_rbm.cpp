// The KL terms' copy of the RBM prior (host/nn/packed_rbm.hpp): the packing order kl_terms reads,
// and a refresh exactly when a value changed (CPU); on the device the second step with an
// unchanged prior uploads the packed prior no more (GPU, skips here).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/backend.hpp"
#include "host/nn/model.hpp"
#include "host/nn/packed_rbm.hpp"
#include "host/topology/graph.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {
namespace {

Rbm small_prior(int n) {
  Rbm r = Rbm::from_graph(parse_topology("zephyr:2,2"), n);
  r.init_random(3, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.3f);
  return r;
}

TEST(PackedRbm, CouplingsInPairOrderThenBiases) {
  const int n = 4;
  const Rbm r = small_prior(n);
  const std::vector<float> packed = pack_rbm(r);
  ASSERT_EQ(packed.size(), size_t(6 * n * n + 4 * n));
  size_t at = 0;
  for (const auto& [p, q] : kRbmPairs)
    for (float w : r.weights(p, q)) ASSERT_EQ(packed[at++], w) << p << q;
  for (int p = 0; p < 4; ++p)
    for (float b : r.bias(p)) ASSERT_EQ(packed[at++], b) << p;
}

TEST(PackedRbm, ChangedOnlyWhenABitDiffers) {
  const std::vector<float> a = {1.0f, 0.0f, 2.0f};
  EXPECT_TRUE(packed_rbm_changed(nullptr, a));
  EXPECT_FALSE(packed_rbm_changed(&a, a));
  EXPECT_TRUE(packed_rbm_changed(&a, std::vector<float>{1.0f, 0.0f}));
  EXPECT_TRUE(packed_rbm_changed(&a, std::vector<float>{1.0f, -0.0f, 2.0f}));
  EXPECT_TRUE(packed_rbm_changed(&a, std::vector<float>{1.0f, 0.0f, std::nextafter(2.0f, 3.0f)}));
  const std::vector<float> nan = {std::nanf("")};
  EXPECT_FALSE(packed_rbm_changed(&nan, nan)) << "the same bits, even a NaN, need no copy";
}

TEST(PackedRbm, RefreshesOncePerChangeOfThePrior) {
  Rbm r = small_prior(4);
  PackedRbm packed;
  const std::vector<float> first = packed.on(r, Backend::cpu).to_vector();
  EXPECT_EQ(first, pack_rbm(r));
  packed.on(r, Backend::cpu);
  packed.on(r, Backend::cpu);
  EXPECT_EQ(packed.refreshes(), 1u) << "an unchanged prior is not copied again";
  r.weights(1, 3)[5] += 0.25f;  // an RBM update
  EXPECT_EQ(packed.on(r, Backend::cpu).to_vector(), pack_rbm(r));
  EXPECT_EQ(packed.refreshes(), 2u);
  r.bias(2)[0] -= 1.0f;
  EXPECT_EQ(packed.on(r, Backend::cpu).to_vector(), pack_rbm(r));
  EXPECT_EQ(packed.refreshes(), 3u);
}

// On the device: the first step uploads the packed prior, a second step with the same prior does
// not (everything else it uploads is the same), a step after an RBM update does again.
TEST(PackedRbm, CudaTrainStepUploadsThePriorOncePerUpdate) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  ModelConfig mc;
  mc.n = 4;
  mc.enc_channels = {2, 2, 2, 2};
  mc.dec_channels = {2, 2, 2};
  Calo4pQVAE model(mc);
  model.to(Backend::cuda);
  Rbm r = small_prior(mc.n);
  const int B = 2;
  std::vector<float> u(size_t(B) * kVoxels);
  for (size_t i = 0; i < u.size(); ++i) u[i] = uniform(1, 2, i) < 0.5f ? 0.0f : 5.0f;
  const std::vector<float> e = {2000.0f, 40000.0f};
  StepSchedule s;
  s.kl_weight = 1.0f;
  auto step_uploads = [&] {
    const TransferCounts t0 = transfer_counts();
    model.train_step(Tensor::from_host({B, kVoxels}, u), e, s, true, &r);
    return (transfer_counts() - t0).h2d_bytes;
  };
  const uint64_t packed_bytes = pack_rbm(r).size() * sizeof(float);
  const uint64_t first = step_uploads();
  const uint64_t same_prior = step_uploads();
  EXPECT_EQ(first - same_prior, packed_bytes);
  r.weights(0, 1)[0] += 0.5f;
  EXPECT_EQ(step_uploads(), first);
}

}  // namespace
}  // namespace calo::nn
