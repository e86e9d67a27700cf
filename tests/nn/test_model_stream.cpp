// The model's CUDA stream and the device pool over whole training steps: a model on the CPU has
// no stream; on the GPU the steps after the first allocate the same tensors from memory the pool
// already holds, and a whole step with the RBM update sends down only the loss sums (GPU parts
// skip without a device).
#include <gtest/gtest.h>

#include <vector>

#include "host/backend.hpp"
#include "host/nn/model.hpp"
#include "host/stream.hpp"
#include "host/topology/graph.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "samplers/cd_device.hpp"
#include "samplers/device_rbm.hpp"

namespace calo::nn {
namespace {

ModelConfig tiny() {
  ModelConfig mc;
  mc.n = 4;
  mc.enc_channels = {2, 2, 2, 2};
  mc.dec_channels = {2, 2, 2};
  return mc;
}

TEST(ModelStream, CpuModelHasNoStream) {
  Calo4pQVAE model(tiny());
  model.to(Backend::cpu);
  EXPECT_EQ(model.cuda_stream(), nullptr);
}

TEST(ModelStream, CudaTrainStepsReuseThePool) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Calo4pQVAE model(tiny());
  model.to(Backend::cuda);
  ASSERT_NE(model.cuda_stream(), nullptr);
  const int B = 4;
  std::vector<float> u(size_t(B) * kVoxels);
  for (size_t i = 0; i < u.size(); ++i) u[i] = uniform(3, 4, i) < 0.5f ? 0.0f : 7.0f;
  const std::vector<float> e = {1000.0f, 5000.0f, 20000.0f, 90000.0f};
  StepSchedule s;
  struct Step {
    TransferCounts t;
    uint64_t reserved;
  };
  auto step = [&] {
    const TransferCounts t0 = transfer_counts();
    model.train_step(Tensor::from_host({B, kVoxels}, u), e, s, true);
    model.cuda_stream()->synchronize();
    return Step{transfer_counts() - t0, device_pool_bytes().reserved};
  };
  step();
  const Step second = step(), third = step();
  EXPECT_GT(second.t.alloc_calls, 0u);
  EXPECT_EQ(third.t.alloc_calls, second.t.alloc_calls) << "the same tensors every step";
  EXPECT_EQ(third.reserved, second.reserved) << "no new device memory after the warm-up steps";
}

// A whole CUDA training step as the trainer runs it on one rank: forward and backward with the KL
// terms on the device prior, then the CD-k update of that prior on the device. What comes down is
// the loss sums alone (a few KiB: 128 partial doubles per term), the update adds no download, and
// it uploads only the batch's energies.
TEST(ModelStream, CudaTrainingStepSendsDownOnlyTheLossSums) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Calo4pQVAE model(tiny());
  model.to(Backend::cuda);
  Rbm prior = Rbm::from_graph(parse_topology("zephyr:2,2"), tiny().n);
  prior.init_random(5, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.3f);
  DeviceRbm device_prior(prior);
  const int B = 4;
  std::vector<float> u(size_t(B) * kVoxels);
  for (size_t i = 0; i < u.size(); ++i) u[i] = uniform(6, 7, i) < 0.5f ? 0.0f : 7.0f;
  const std::vector<float> e = {1000.0f, 5000.0f, 20000.0f, 90000.0f};
  StepSchedule s;
  s.kl_weight = 1.0f;
  for (int step = 0; step < 3; ++step) {
    s.step = uint64_t(step);
    const StreamScope on_stream(model.cuda_stream());
    const TransferCounts t0 = transfer_counts();
    model.train_step(Tensor::from_host({B, kVoxels}, u), e, s, true, &prior, true,
                     device_prior.packed());
    const TransferCounts t1 = transfer_counts();
    ASSERT_NE(model.last_posterior_on_device(), nullptr);
    cd_k_update_device(device_prior, prior, model.last_posterior_on_device()->data(), e, B, 2,
                       uint64_t(100 + step), 0.05f);
    const TransferCounts update = transfer_counts() - t1;
    EXPECT_EQ(update.d2h_calls, 0u) << step;
    EXPECT_EQ(update.h2d_bytes, uint64_t(B) * sizeof(float)) << step;
    EXPECT_LT((t1 - t0).d2h_bytes, uint64_t(16) << 10) << step;
  }
  EXPECT_EQ(device_prior.updates(), 3u);
}

}  // namespace
}  // namespace calo::nn
