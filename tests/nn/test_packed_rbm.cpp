// The KL terms' copy of the RBM prior (host/nn/packed_rbm.hpp): the packing order kl_terms reads,
// and a refresh exactly when a value changed (CPU); on the device the second step with an
// unchanged prior uploads the packed prior no more (GPU, skips here).
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/nn/model.hpp"
#include "host/nn/packed_rbm.hpp"
#include "host/topology/graph.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "samplers/device_rbm.hpp"
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
  const std::vector<float> packed = r.pack();
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
  EXPECT_EQ(first, r.pack());
  packed.on(r, Backend::cpu);
  packed.on(r, Backend::cpu);
  EXPECT_EQ(packed.refreshes(), 1u) << "an unchanged prior is not copied again";
  r.weights(1, 3)[5] += 0.25f;  // an RBM update
  EXPECT_EQ(packed.on(r, Backend::cpu).to_vector(), r.pack());
  EXPECT_EQ(packed.refreshes(), 2u);
  r.bias(2)[0] -= 1.0f;
  EXPECT_EQ(packed.on(r, Backend::cpu).to_vector(), r.pack());
  EXPECT_EQ(packed.refreshes(), 3u);
}

// A small model on the device and a batch of two showers, for the GPU tests below.
struct CudaStep {
  Calo4pQVAE model;
  Tensor batch;
  std::vector<float> energies = {2000.0f, 40000.0f};
  StepSchedule schedule;
  explicit CudaStep(int n) : model(config(n)) {
    model.to(Backend::cuda);
    std::vector<float> u(size_t(energies.size()) * kVoxels);
    for (size_t i = 0; i < u.size(); ++i) u[i] = uniform(1, 2, i) < 0.5f ? 0.0f : 5.0f;
    batch = Tensor::from_host({int64_t(energies.size()), kVoxels}, u);
    schedule.kl_weight = 1.0f;
  }
  static ModelConfig config(int n) {
    ModelConfig mc;
    mc.n = n;
    mc.enc_channels = {2, 2, 2, 2};
    mc.dec_channels = {2, 2, 2};
    return mc;
  }
  // The step's loss terms and the bytes it uploaded.
  std::pair<LossTerms, uint64_t> run(bool training, const Rbm* prior,
                                     const float* prior_on_device = nullptr) {
    const TransferCounts t0 = transfer_counts();
    LossTerms t =
        model.train_step(batch, energies, schedule, training, prior, true, prior_on_device);
    return {t, (transfer_counts() - t0).h2d_bytes};
  }
};

// On the device: the first step uploads the packed prior, a second step with the same prior does
// not (everything else it uploads is the same), a step after an RBM update does again.
TEST(PackedRbm, CudaTrainStepUploadsThePriorOncePerUpdate) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  CudaStep step(4);
  Rbm r = small_prior(4);
  const uint64_t packed_bytes = r.pack().size() * sizeof(float);
  const uint64_t first = step.run(true, &r).second;
  const uint64_t same_prior = step.run(true, &r).second;
  EXPECT_EQ(first - same_prior, packed_bytes);
  r.weights(0, 1)[0] += 0.5f;
  EXPECT_EQ(step.run(true, &r).second, first);
}

// With the trainer's device prior (samplers/device_rbm.hpp) a CUDA step uploads no prior even when
// the host copy is stale (as it is between the trainer's syncs), and its KL terms are the device
// parameters'.
TEST(PackedRbm, CudaTrainStepOnTheDevicePriorUploadsNoPrior) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  CudaStep step(4);
  const Rbm r = small_prior(4);
  const DeviceRbm device_prior(r);
  const LossTerms host_copy = step.run(false, &r).first;
  const uint64_t no_upload = step.run(false, &r).second;  // same prior: not uploaded again
  Rbm stale = r;
  stale.bias(1)[0] += 1.0f;
  stale.weights(0, 1)[0] += 0.5f;
  const auto [on_device, uploaded] = step.run(false, &stale, device_prior.packed());
  EXPECT_EQ(uploaded, no_upload);
  EXPECT_EQ(on_device.pos_energy, host_copy.pos_energy);
  EXPECT_EQ(on_device.entropy, host_copy.entropy);
  EXPECT_THROW(step.run(false, nullptr, device_prior.packed()), Error);
}

}  // namespace
}  // namespace calo::nn
