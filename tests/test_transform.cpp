#include <gtest/gtest.h>

#include <cmath>

#include <vector>

#include "host/error.hpp"
#include "host/inverse_transform.hpp"
#include "host/split.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
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
    ASSERT_NEAR(back, e_vox, 2e-6f * e_vox + 1e-6f * 1e-7f * e_inc)
        << "e_inc=" << e_inc << " e_vox=" << e_vox;
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

namespace {
// A (rows, voxels) batch of decoder-like outputs (a third of them <= 0: empty voxels) and
// per-row incident energies.
void decoder_like_batch(int64_t rows, int64_t voxels, std::vector<float>& u,
                        std::vector<float>& e) {
  PhiloxCursor rng(9, 1);
  u.resize(size_t(rows * voxels));
  e.resize(size_t(rows));
  for (float& x : u) x = -4.0f + 16.0f * rng.next_uniform();
  for (float& x : e) x = std::pow(10.0f, 3.0f + 3.0f * rng.next_uniform());
}
}  // namespace

// The row-batched inverse transform (what generation runs on either backend) is the scalar
// u_to_voxel with each row's own incident energy, element for element.
TEST(Transform, RowsUseTheirOwnIncidentEnergy) {
  const int64_t rows = 5, voxels = 13;
  std::vector<float> u, e;
  decoder_like_batch(rows, voxels, u, e);
  const Tensor out = u_to_voxels(Tensor::from_host({rows, voxels}, u), e);
  ASSERT_EQ(out.shape(), (Shape{rows, voxels}));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t v = 0; v < voxels; ++v) {
      const int64_t i = r * voxels + v;
      EXPECT_EQ(u_to_voxel_in_rows(u.data(), e.data(), i, voxels),
                u_to_voxel(u[size_t(i)], e[size_t(r)]));
      EXPECT_EQ(out.data()[i], u_to_voxel(u[size_t(i)], e[size_t(r)])) << r << " " << v;
    }
  EXPECT_THROW(u_to_voxels(Tensor::from_host({rows, voxels}, u), std::span(e).first(4)),
               InputError);
}

// GPU == CPU (same CALO_HD function; exp/log1p in double may differ by an ulp), and the device
// path uploads only the energies and downloads nothing.
TEST(Transform, CudaInverseTransformMatchesCpuAndStaysOnDevice) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const int64_t rows = 7, voxels = 6480;
  std::vector<float> u, e;
  decoder_like_batch(rows, voxels, u, e);
  const Tensor cpu = u_to_voxels(Tensor::from_host({rows, voxels}, u), e);
  const Tensor ud = Tensor::from_host({rows, voxels}, u).to(Backend::cuda);
  const TransferCounts before = transfer_counts();
  const Tensor gpu = u_to_voxels(ud, e);
  const TransferCounts t = transfer_counts() - before;
  EXPECT_EQ(gpu.backend(), Backend::cuda);
  EXPECT_EQ(t.d2h_calls, 0u);
  EXPECT_EQ(t.h2d_calls, 1u);
  EXPECT_EQ(t.h2d_bytes, uint64_t(rows * sizeof(float)));
  const std::vector<float> g = gpu.to_vector();
  for (int64_t i = 0; i < rows * voxels; ++i)
    ASSERT_NEAR(g[size_t(i)], cpu.data()[i], 1e-6f * std::fabs(cpu.data()[i])) << i;
}
