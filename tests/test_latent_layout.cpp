// LatentLayout: the one owner of the partition offsets and the energy code.
#include <gtest/gtest.h>

#include <vector>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "kernels/transform.hpp"

namespace calo {
namespace {

TEST(LatentLayout, CodesAreTheSharedEnergyCodeAndPartitionsFollowIt) {
  const LatentLayout L(64);
  EXPECT_EQ(L.units(), 256);
  EXPECT_EQ(L.free_units(), 192);
  EXPECT_EQ(L.offset(LatentLayout::kEnergyPartition), 0);
  EXPECT_EQ(L.offset(2), 128);
  const std::vector<float> e{1.5e3f, 4.2e4f, 9.9e5f};
  const std::vector<uint8_t> codes = L.codes(e);
  for (size_t b = 0; b < e.size(); ++b) {
    std::vector<uint8_t> want(64);
    energy_code(double(e[b]), 64, want.data());
    EXPECT_EQ(std::vector<uint8_t>(codes.begin() + long(b * 64), codes.begin() + long(b * 64 + 64)),
              want);
    EXPECT_EQ(L.code(double(e[b])), want);
  }
  EXPECT_NE(L.code(1.5e3), L.code(4.2e4));  // the code carries the energy
}

TEST(LatentLayout, StatesAndFreePartRoundTrip) {
  const LatentLayout L(8);
  const std::vector<float> e{2e3f, 3e5f};
  std::vector<float> free(2 * 24);
  for (size_t k = 0; k < free.size(); ++k) free[k] = (k % 3 == 0) ? 0.9f : 0.1f;
  const std::vector<uint8_t> z = L.states(e, free);
  ASSERT_EQ(z.size(), 2u * 32u);
  for (size_t b = 0; b < 2; ++b) {
    EXPECT_EQ(std::vector<uint8_t>(z.begin() + long(b * 32), z.begin() + long(b * 32 + 8)),
              L.code(double(e[b])));
    for (size_t k = 0; k < 24; ++k) EXPECT_EQ(z[b * 32 + 8 + k], free[b * 24 + k] > 0.5f ? 1 : 0);
  }
  const std::vector<float> back = L.free_part(z);
  for (size_t k = 0; k < back.size(); ++k) EXPECT_EQ(back[k], free[k] > 0.5f ? 1.0f : 0.0f);
  const std::vector<float> relaxed = L.float_states(e, free);
  EXPECT_EQ(relaxed[8 + 1], free[1]);  // relaxed values kept
  EXPECT_EQ(relaxed[32 + 0], float(L.code(double(e[1]))[0]));
}

TEST(LatentLayout, WrongSizesAreErrors) {
  const LatentLayout L(8);
  const std::vector<float> e{2e3f, 3e5f};
  EXPECT_THROW(L.states(e, std::vector<float>(47)), Error);
  EXPECT_THROW(L.states(e, std::vector<float>(24)), Error);  // one row for two energies
  EXPECT_THROW(L.free_part(std::vector<uint8_t>(33)), Error);
  EXPECT_THROW(LatentLayout(0), InputError);
}

}  // namespace
}  // namespace calo
