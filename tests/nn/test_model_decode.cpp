// Calo4pQVAE::decode on the CPU runs in slices of showers; the showers must not depend on how a
// batch is sliced (eval-mode layers are per shower, hit draws keyed by the global voxel index).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "host/nn/model.hpp"
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

}  // namespace
}  // namespace calo::nn
