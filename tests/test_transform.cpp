#include <gtest/gtest.h>

#include <cmath>

#include "host/split.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

using namespace calo;

TEST(Transform, ZerosStayExactlyZero) {
  EXPECT_EQ(voxel_to_u(0.0f, 5000.0f), 0.0f);
  EXPECT_EQ(u_to_voxel(0.0f, 5000.0f), 0.0f);
  EXPECT_EQ(u_to_voxel(-3.0f, 5000.0f), 0.0f);  // decoder outputs below zero are empty voxels
}

TEST(Transform, RoundTripWithinFloatTolerance) {
  PhiloxCursor rng(3, 0);
  for (int i = 0; i < 20000; ++i) {
    const float e_inc = std::pow(10.0f, 3.0f + 3.0f * rng.next_uniform());
    // Voxel energies from the readout threshold up to the whole shower.
    const float e_vox = 0.0151515f * std::pow(e_inc / 0.0151515f, rng.next_uniform());
    const float u = voxel_to_u(e_vox, e_inc);
    ASSERT_GT(u, 0.0f);
    const float back = u_to_voxel(u, e_inc);
    ASSERT_NEAR(back, e_vox, 2e-6f * e_vox + 1e-6f * 1e-7f * e_inc) << "e_inc=" << e_inc << " e_vox=" << e_vox;
  }
}

TEST(Transform, KnownValueMatchesFormula) {
  // eps = 0.01: u = logit(R + (1-2R) 0.01) - logit(R)
  const double R = 1e-7, x = R + (1 - 2 * R) * 0.01;
  const double expected = std::log(x / (1 - x)) - std::log(R / (1 - R));
  EXPECT_NEAR(voxel_to_u(10.0f, 1000.0f), expected, 1e-5);
  EXPECT_NEAR(expected, 11.5, 0.1);  // sanity: u of a 1% voxel is about 11.5
}

TEST(EnergyEncoding, LogScalarMapsRangeIntoUnitInterval) {
  EXPECT_NEAR(log_energy_scalar(std::exp(6.0f)), 0.0f, 1e-6f);
  EXPECT_NEAR(log_energy_scalar(std::exp(14.0f)), 1.0f, 1e-5f);
  EXPECT_GT(log_energy_scalar(1e3f), 0.1f);
  EXPECT_LT(log_energy_scalar(1e6f), 0.99f);
}

TEST(EnergyEncoding, BinaryCodeIsThreeLsbFirstWordsTiled) {
  const int n = 302;
  std::vector<uint8_t> bits(n);
  const double e = 12345.678;
  energy_code(e, n, bits.data());
  const uint32_t w[3] = {12345u, static_cast<uint32_t>(std::sqrt(e) * std::sqrt(10.0)),
                         static_cast<uint32_t>(std::log(e) * std::exp(10.0))};
  for (int rep = 0; rep < 5; ++rep) {
    for (int b = 0; b < 60; ++b) {
      ASSERT_EQ(bits[rep * 60 + b], (w[b / 20] >> (b % 20)) & 1u) << "rep " << rep << " bit " << b;
      ASSERT_EQ(energy_code_bit(e, rep * 60 + b, n), bits[rep * 60 + b]);
    }
  }
  EXPECT_EQ(bits[300], 0);
  EXPECT_EQ(bits[301], 0);
  // 12345 = 0b11000000111001: LSB first.
  EXPECT_EQ(bits[0], 1);
  EXPECT_EQ(bits[1], 0);
  EXPECT_EQ(bits[3], 1);
  EXPECT_EQ(bits[13], 1);
  EXPECT_EQ(bits[14], 0);
}

TEST(EnergyEncoding, DistinctEnergiesGiveDistinctCodes) {
  std::vector<uint8_t> a(302), b(302);
  energy_code(1000.0, 302, a.data());
  energy_code(1001.0, 302, b.data());
  EXPECT_NE(a, b);
}

TEST(Split, SequentialFractionsCoverAllRows) {
  const DataSplit s = split_rows(1000, 0.8, 0.01);
  EXPECT_EQ(s.train.first, 0);
  EXPECT_EQ(s.train.count, 800);
  EXPECT_EQ(s.test.first, 800);
  EXPECT_EQ(s.test.count, 10);
  EXPECT_EQ(s.validation.first, 810);
  EXPECT_EQ(s.validation.count, 190);
  EXPECT_THROW(split_rows(0, 0.8, 0.1), std::exception);
  EXPECT_THROW(split_rows(10, 0.9, 0.2), std::exception);
}
