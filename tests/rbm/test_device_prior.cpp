// The prior's chains started on the device (kernels/rbm/random_chains_math.hpp) and the prior's
// device states (PriorSampler::sample_device, DeviceLatents): the draw against randomize() on the
// CPU, the kernel and the CUDA sampler against the CPU sampler (GPU tests skip without a device).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "host/device_memory.hpp"
#include "host/error.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/rbm/random_chains_launch.hpp"
#include "kernels/rbm/random_chains_math.hpp"
#include "samplers/device_latents.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/prior_sampler.hpp"
#include "tests/rbm/rbm_test_util.hpp"

namespace calo {
namespace {

using testing::small_rbm;

// Node-major start states (4n x chains) of random_chain_bit, the way the kernel writes them.
std::vector<uint8_t> random_start(int n, int chains, uint64_t seed, int first, int total) {
  std::vector<uint8_t> z(4 * size_t(n) * size_t(chains));
  for (int node = 0; node < 4 * n; ++node)
    for (int c = 0; c < chains; ++c)
      z[size_t(node) * size_t(chains) + size_t(c)] =
          random_chain_bit(seed, node, n, first + c, total);
  return z;
}

// node-major 4n x chains -> chain-major chains x 4n (BlockGibbsSampler::states' layout).
std::vector<uint8_t> chain_major(const std::vector<uint8_t>& z, int n, int chains) {
  std::vector<uint8_t> out(z.size());
  for (int node = 0; node < 4 * n; ++node)
    for (int c = 0; c < chains; ++c)
      out[size_t(c) * 4 * size_t(n) + size_t(node)] = z[size_t(node) * size_t(chains) + size_t(c)];
  return out;
}

struct Window {
  int chains, first, total;
};
const Window kWindows[] = {{1, 0, 1}, {7, 0, 7}, {13, 5, 40}, {64, 1000, 1 << 30}};

TEST(RandomChains, BitsAreRandomizesStartForEveryChainWindow) {
  const Rbm rbm = small_rbm(16, 3);
  for (const Window w : kWindows) {
    BlockGibbsSampler g(rbm, w.chains, 1, GibbsPath::cpu_sparse);
    g.set_chain_window(w.first, w.total);
    g.randomize(0xC0FFEEull);
    const std::vector<uint8_t> want = g.states();
    EXPECT_EQ(chain_major(random_start(16, w.chains, 0xC0FFEEull, w.first, w.total), 16, w.chains),
              want)
        << w.chains << " chains from " << w.first << " of " << w.total;
    // Not a constant: about half the free bits are on, none of partition 0.
    int on = 0, on0 = 0;
    for (int c = 0; c < w.chains; ++c)
      for (int i = 0; i < 64; ++i) (i < 16 ? on0 : on) += want[size_t(c) * 64 + size_t(i)];
    EXPECT_EQ(on0, 0);
    EXPECT_GT(on, 0);
    EXPECT_LT(on, 48 * w.chains);
  }
}

TEST(DeviceLatents, UploadRefusesPartialStates) {
  EXPECT_THROW(DeviceLatents::upload(std::vector<uint8_t>(63), 16), Error);
}

TEST(RandomChains, CudaKernelEqualsRandomize) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 3);
  for (const Window w : kWindows) {
    DeviceArray<uint8_t> d(4 * 16 * size_t(w.chains));
    random_chain_states_cuda(d.data(), 16, w.chains, 99, w.first, w.total);
    std::vector<uint8_t> got(d.size());
    d.download(got);
    BlockGibbsSampler g(rbm, w.chains, 1, GibbsPath::cpu_sparse);
    g.set_chain_window(w.first, w.total);
    g.randomize(99);
    EXPECT_EQ(chain_major(got, 16, w.chains), g.states()) << w.chains << " from " << w.first;
  }
}

TEST(DeviceLatents, CudaUploadDownloadRoundTrip) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::vector<uint8_t> s(5 * 64);
  for (size_t i = 0; i < s.size(); ++i) s[i] = uint8_t((i * 7 + i / 64) % 3 == 0);
  const DeviceLatents d = DeviceLatents::upload(s, 16);
  EXPECT_EQ(d.chains, 5);
  EXPECT_EQ(d.download(), s);
}

// The CUDA sampler's device states (started, clamped and run on the device) are the states of its
// host entry (started on the host, same kernels) and the CPU sampler's bit for bit (shared Philox
// draws and the same roundings, as GibbsCuda.CudaEqualsCpu checks). Only the energies go up (the
// graph once per sampler), nothing comes down.
TEST(PriorSampler, CudaDeviceStatesEqualItsHostStatesAndTheCpus) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Rbm rbm = small_rbm(16, 21);
  auto cpu = make_gibbs_prior_sampler(Backend::cpu, 7);
  auto cuda = make_gibbs_prior_sampler(Backend::cuda, 7);
  std::vector<float> e(37);
  for (size_t i = 0; i < e.size(); ++i) e[i] = 1000.0f * float(1 + i * i);
  for (const int64_t first : {int64_t(0), int64_t(123)}) {
    cuda->sample_device(rbm, e, 11, first);  // the graph goes up once per sampler
    const TransferCounts t0 = transfer_counts();
    const DeviceLatents got = cuda->sample_device(rbm, e, 11, first);
    const TransferCounts t = transfer_counts() - t0;
    EXPECT_EQ(t.d2h_calls, 0u);
    EXPECT_EQ(t.h2d_calls, 1u);  // the clamp's energies
    EXPECT_EQ(t.h2d_bytes, e.size() * sizeof(float));
    EXPECT_EQ(got.chains, int64_t(e.size()));
    const std::vector<uint8_t> states = got.download();
    EXPECT_EQ(states, cuda->sample(rbm, e, 11, first)) << "first event " << first;
    EXPECT_EQ(states, cpu->sample(rbm, e, 11, first)) << "first event " << first;
  }
}

}  // namespace
}  // namespace calo
