// The model's CUDA stream and the device pool over whole training steps: a model on the CPU has
// no stream; on the GPU the steps after the first allocate the same tensors from memory the pool
// already holds (GPU part skips without a device).
#include <gtest/gtest.h>

#include <vector>

#include "host/backend.hpp"
#include "host/nn/model.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"

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

}  // namespace
}  // namespace calo::nn
