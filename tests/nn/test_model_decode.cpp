// Calo4pQVAE::decode on the CPU runs in slices of showers; the showers must not depend on how a
// batch is sliced (eval-mode layers are per shower, hit draws keyed by the global voxel index).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/nn/model.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {
namespace {

TEST(ModelDecode, ShowersDoNotDependOnTheBatchSlicing) {
  ModelConfig cfg;
  Calo4pQVAE model(cfg);
  model.init_output_bias(8.0f, 0.3f);  // hits at u ~ 8 in 30% of the voxels
  const int n = cfg.n;
  const int64_t B = 150;  // more than two CPU slices
  std::vector<uint8_t> z(static_cast<size_t>(B * 4 * n));
  std::vector<float> e(static_cast<size_t>(B));
  for (size_t i = 0; i < z.size(); ++i) z[i] = uniform(3, 0, i) < 0.5f ? 1 : 0;
  for (int64_t b = 0; b < B; ++b) e[size_t(b)] = 1e3f * std::pow(1e3f, uniform(4, 0, uint64_t(b)));
  const std::vector<float> all = model.decode(z, e, 9, 100).to_vector();
  ASSERT_EQ(all.size(), size_t(B * kVoxels));
  size_t nonzero = 0;
  for (float v : all) nonzero += v != 0.0f;
  EXPECT_GT(nonzero, all.size() / 100);  // the comparison below is not between empty showers
  for (int64_t b0 : {int64_t{0}, int64_t{63}, int64_t{64}, int64_t{149}}) {
    const int64_t m = std::min<int64_t>(20, B - b0);
    const std::span<const uint8_t> zs(z.data() + b0 * 4 * n, size_t(m * 4 * n));
    const std::span<const float> es(e.data() + b0, size_t(m));
    const std::vector<float> part =
        model.decode(zs, es, 9, 100 + uint64_t(b0) * uint64_t(kVoxels)).to_vector();
    // The hit draws are equal bit for bit; energies to float rounding (OpenBLAS may take another
    // kernel for a GEMM with one row).
    for (int64_t i = 0; i < m * kVoxels; ++i) {
      const float want = all[size_t(b0 * kVoxels + i)], got = part[size_t(i)];
      ASSERT_EQ(got == 0.0f, want == 0.0f) << "shower " << b0 + i / kVoxels;
      ASSERT_NEAR(got, want, 1e-5f * std::max(1.0f, std::fabs(want)))
          << "shower " << b0 + i / kVoxels;
    }
  }
}

// B states with partition 0 the energy code (as the prior leaves them), and their energies.
struct CodedStates {
  std::vector<uint8_t> z;
  std::vector<float> e;
  CodedStates(int n, int64_t B) : z(size_t(B) * 4 * size_t(n)), e(static_cast<size_t>(B)) {
    const LatentLayout layout(n);
    for (int64_t b = 0; b < B; ++b) {
      e[size_t(b)] = 1e3f * std::pow(1e3f, uniform(4, 1, uint64_t(b)));
      uint8_t* row = z.data() + b * 4 * n;
      layout.encode(double(e[size_t(b)]), row);
      for (int k = n; k < 4 * n; ++k) row[k] = uniform(3, 1, uint64_t(b * 4 * n + k)) < 0.5f;
    }
  }
  Tensor rows(Backend where) const {
    const std::vector<float> f(z.begin(), z.end());
    return Tensor::from_host({int64_t(e.size()), int64_t(z.size() / e.size())}, f).to(where);
  }
};

// decode() of latent rows (the CUDA generator's entry) is decode() of the states, bit for bit: the
// same decoder input, sliced the same way (260 rows: two CPU slices, the second one copied out of
// the rows), with the channels-last tail and with the layers' own forward.
TEST(ModelDecode, LatentRowsDecodeAsTheirStatesBitForBit) {
  ModelConfig cfg;
  cfg.n = 64;                    // a full 60-bit energy code in partition 0
  cfg.dec_channels = {8, 4, 4};  // small: the test decodes 4 x 260 showers
  Calo4pQVAE model(cfg);
  model.init_output_bias(8.0f, 0.3f);
  const CodedStates s(cfg.n, 260);
  for (const bool tail : {true, false}) {
    model.set_cpu_decoder_tail(tail);
    const std::vector<float> want = model.decode(s.z, s.e, 9, 100).to_vector();
    EXPECT_EQ(model.decode(s.rows(Backend::cpu), s.e, 9, 100).to_vector(), want) << tail;
  }
  EXPECT_THROW(model.decode(Tensor({260, 4 * 64 - 1}), s.e, 9, 100), InputError);
}

TEST(ModelDecode, CudaLatentRowsDecodeAsTheirStatesBitForBit) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  ModelConfig cfg;
  cfg.n = 64;
  Calo4pQVAE model(cfg);
  model.init_output_bias(8.0f, 0.3f);
  model.to(Backend::cuda);
  const CodedStates s(cfg.n, 256);
  const Tensor rows = s.rows(Backend::cuda);
  const std::vector<float> want = model.decode(s.z, s.e, 9, 100).to_vector();
  const TransferCounts t0 = transfer_counts();
  const Tensor u = model.decode(rows, s.e, 9, 100);
  const TransferCounts t = transfer_counts() - t0;
  EXPECT_EQ(t.d2h_calls, 0u);
  // Up: only the energies' column (once for the decoder input, once for the trunk's energy
  // channel).
  EXPECT_LE(t.h2d_bytes, 2 * s.e.size() * sizeof(float));
  EXPECT_EQ(u.to_vector(), want);
}

}  // namespace
}  // namespace calo::nn
