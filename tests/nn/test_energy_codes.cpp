// The partition-0 energy codes the model builds where it runs (ops::energy_code_rows, what the
// decoder input and the CUDA KL terms read): LatentLayout's codes on the CPU, and the CUDA
// kernel's equal to the CPU's where a GPU exists.
#include <gtest/gtest.h>

#include <vector>

#include "host/latent_layout.hpp"
#include "host/nn/model.hpp"
#include "host/nn/ops.hpp"
#include "kernels/cuda_info.hpp"

namespace calo::nn {
namespace {

// Energies over the whole range, the 20-bit clamps included (below 1 MeV and above 2^20 MeV).
const std::vector<float> kEnergies = {0.5f,      1000.0f, 4321.5f, 65536.0f,
                                      999999.0f, 1.0e6f,  3.0e6f,  1048575.0f};

TEST(EnergyCodes, RowsAreLatentLayoutsCodes) {
  for (const int n : {16, 60, 130, 302}) {
    const Tensor got = energy_codes(kEnergies, n, Backend::cpu);
    ASSERT_EQ(got.shape(), (std::vector<int64_t>{int64_t(kEnergies.size()), n}));
    EXPECT_EQ(got.to_vector(), LatentLayout(n).float_codes(kEnergies)) << "n = " << n;
  }
}

TEST(EnergyCodes, CudaRowsEqualTheCpus) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const int n : {60, 302})
    EXPECT_EQ(energy_codes(kEnergies, n, Backend::cuda).to_vector(),
              energy_codes(kEnergies, n, Backend::cpu).to_vector())
        << "n = " << n;
}

}  // namespace
}  // namespace calo::nn
