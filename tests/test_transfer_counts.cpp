// The transfer counter behind the CUDA path's "nothing leaves the device" reports: every
// host<->device copy of a Tensor or DeviceArray is counted (GPU only; skips without a device).
#include <gtest/gtest.h>

#include <vector>

#include "host/backend.hpp"
#include "host/tensor.hpp"
#include "kernels/device_memory.hpp"

namespace calo {
namespace {

TEST(TransferCounts, CudaCountsCallsAndBytesBothWays) {
  const TransferCounts zero = transfer_counts() - transfer_counts();
  EXPECT_EQ(zero.h2d_calls + zero.d2h_calls + zero.h2d_bytes + zero.d2h_bytes + zero.alloc_calls +
                zero.alloc_bytes,
            0u);
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const TransferCounts before = transfer_counts();
  const Tensor h = Tensor::from_host({10, 5}, std::vector<float>(50, 1.5f));
  const Tensor d = h.to(Backend::cuda);            // one upload of 200 bytes
  const Tensor d2 = d.clone();                     // device to device: not a host transfer
  const std::vector<float> back = d2.to_vector();  // one download
  const TransferCounts t = transfer_counts() - before;
  EXPECT_EQ(t.h2d_calls, 1u);
  EXPECT_EQ(t.h2d_bytes, 200u);
  EXPECT_EQ(t.d2h_calls, 1u);
  EXPECT_EQ(t.d2h_bytes, 200u);
  EXPECT_EQ(t.alloc_calls, 2u);  // d and d2, from the device's pool
  EXPECT_EQ(t.alloc_bytes, 400u);
  EXPECT_EQ(back[49], 1.5f);
}

}  // namespace
}  // namespace calo
