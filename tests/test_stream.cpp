// Streams and the stream-ordered device pool (host/stream.hpp, kernels/device_memory.hpp): a
// StreamScope makes its stream current and restores the previous one; device tensors made, copied,
// zeroed and freed on a stream hold the right values, and after the first round the pool serves
// every allocation from memory it already holds. GPU parts skip without a device.
#include <gtest/gtest.h>

#include <vector>

#include "host/backend.hpp"
#include "host/stream.hpp"
#include "host/tensor.hpp"
#include "kernels/device_memory.hpp"

namespace calo {
namespace {

TEST(StreamScope, NullStreamChangesNothing) {
  EXPECT_EQ(current_cuda_stream(), nullptr);
  {
    const StreamScope none(nullptr);
    EXPECT_EQ(current_cuda_stream(), nullptr);
  }
  EXPECT_EQ(current_cuda_stream(), nullptr);
}

TEST(StreamScope, HostTensorsUseNoDeviceMemory) {
  const TransferCounts before = transfer_counts();
  const Tensor a({100});
  const Tensor b = Tensor::from_host({2}, std::vector<float>{1.0f, 2.0f});
  const Tensor c = a.clone();
  const TransferCounts t = transfer_counts() - before;
  EXPECT_EQ(t.alloc_calls + t.h2d_calls + t.d2h_calls, 0u);
}

TEST(StreamScope, CudaScopesNestAndRestore) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const auto s1 = CudaStream::create(), s2 = CudaStream::create();
  ASSERT_NE(s1->handle(), s2->handle());
  {
    const StreamScope outer(s1);
    EXPECT_EQ(current_cuda_stream(), s1->handle());
    {
      const StreamScope inner(s2);
      EXPECT_EQ(current_cuda_stream(), s2->handle());
      const StreamScope none(nullptr);
      EXPECT_EQ(current_cuda_stream(), s2->handle());
    }
    EXPECT_EQ(current_cuda_stream(), s1->handle());
  }
  EXPECT_EQ(current_cuda_stream(), nullptr);
}

// One "step": upload, device copy, zero, memset and a download, all on the current stream; the
// values must be what a synchronous order gives.
void pooled_round(int round) {
  std::vector<float> host(1000 + 37);
  for (size_t i = 0; i < host.size(); ++i) host[i] = float(i) + 0.5f * float(round);
  const Tensor up = Tensor::from_host({int64_t(host.size())}, host).to(Backend::cuda);
  Tensor copy = up.clone();
  Tensor zeros = Tensor({3, 1000}, Backend::cuda);
  const std::vector<float> back = copy.to_vector();
  EXPECT_EQ(back, host) << "round " << round;
  const std::vector<float> z = zeros.to_vector();
  for (float v : z) ASSERT_EQ(v, 0.0f) << "round " << round;
  copy.zero();
  for (float v : copy.to_vector()) ASSERT_EQ(v, 0.0f) << "round " << round;
}

TEST(DevicePool, CudaStreamOrderedTensorsAreRightAndReuseThePool) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const auto stream = CudaStream::create();
  const StreamScope on(stream);
  pooled_round(0);
  stream->synchronize();
  const DevicePoolBytes after_first = device_pool_bytes();
  EXPECT_GT(after_first.reserved, 0u);
  for (int r = 1; r < 5; ++r) {
    const TransferCounts before = transfer_counts();
    pooled_round(r);
    EXPECT_EQ((transfer_counts() - before).alloc_calls, 3u) << "up, copy and zeros";
  }
  stream->synchronize();
  EXPECT_EQ(device_pool_bytes().reserved, after_first.reserved)
      << "later rounds reuse the memory the first one freed";
}

TEST(DevicePool, CudaTensorsOutliveTheirStream) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Tensor kept;
  {
    const auto stream = CudaStream::create();
    const StreamScope on(stream);
    kept = Tensor::from_host({4}, std::vector<float>{1, 2, 3, 4}).to(Backend::cuda);
  }  // the stream is gone; its memory belongs to the pool
  EXPECT_EQ(kept.to_vector(), (std::vector<float>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace calo
