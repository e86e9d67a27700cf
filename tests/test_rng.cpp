#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/philox.hpp"

using namespace calo;

// Known-answer vectors from Random123's kat_vectors file (counter[4], key[2] -> output[4]).
TEST(Philox, KnownAnswerVectors) {
  struct Kat {
    uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const auto& k : kats) {
    const Philox4 r = philox4x32_10(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], k.out[i]) << "word " << i;
  }
}

// The vectorised lanes version (CPU Gibbs sweeps) must be Random123's Philox bit for bit, for the
// known-answer vectors and for counters and keys that exercise every carry.
TEST(Philox, LanesEqualRandom123) {
  constexpr int L = 24;
  uint32_t c0[L], c1[L], c2[L], c3[L];
  PhiloxCursor pick(99, 1);
  const uint32_t k0 = 0xa4093822u, k1 = 0x299f31d0u;
  uint32_t in[L][4];
  for (int l = 0; l < L; ++l) {
    for (auto& w : in[l]) w = pick.next_u32();
    if (l == 0) in[l][0] = in[l][1] = in[l][2] = in[l][3] = 0xffffffffu;
    c0[l] = in[l][0], c1[l] = in[l][1], c2[l] = in[l][2], c3[l] = in[l][3];
  }
  philox4x32_10_lanes<L>(c0, c1, c2, c3, k0, k1);
  for (int l = 0; l < L; ++l) {
    const Philox4 r = philox4x32_10(in[l][0], in[l][1], in[l][2], in[l][3], k0, k1);
    EXPECT_EQ(c0[l], r.v[0]) << l;
    EXPECT_EQ(c1[l], r.v[1]) << l;
    EXPECT_EQ(c2[l], r.v[2]) << l;
    EXPECT_EQ(c3[l], r.v[3]) << l;
  }
  uint32_t z0[4] = {0, 0xffffffffu, 0x243f6a88u, 1}, z1[4] = {0, 0xffffffffu, 0x85a308d3u, 2},
           z2[4] = {0, 0xffffffffu, 0x13198a2eu, 3}, z3[4] = {0, 0xffffffffu, 0x03707344u, 4};
  philox4x32_10_lanes<4>(z0, z1, z2, z3, 0, 0);
  EXPECT_EQ(z0[0], 0x6627e8d5u);  // Random123 known answer for counter 0, key 0
  EXPECT_EQ(z3[0], 0x9b00dbd8u);
}

TEST(Philox, BlockLayoutMapsSeedStreamIndex) {
  const uint64_t seed = 0x299f31d0a4093822ull, stream = 0x0370734413198a2eull,
                 index = 0x85a308d3243f6a88ull;
  const Philox4 r = philox_block(seed, stream, index);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Philox, SameStreamOnRepeatedCallsAndCursorAgreesWithIndexedAccess) {
  PhiloxCursor a(42, 7), b(42, 7);
  for (uint64_t i = 0; i < 1000; ++i) {
    const float x = a.next_uniform();
    EXPECT_EQ(x, b.next_uniform());
    EXPECT_EQ(x, uniform(42, 7, i)) << "cursor and indexed access must agree at " << i;
  }
  EXPECT_NE(uniform(42, 7, 0), uniform(42, 8, 0));
  EXPECT_NE(uniform(42, 7, 0), uniform(43, 7, 0));
}

TEST(Philox, UniformsAreInOpenIntervalAndUniform) {
  // Extreme raw words never produce 0 or 1.
  EXPECT_GT(u32_to_open01(0), 0.0f);
  EXPECT_LT(u32_to_open01(0xffffffffu), 1.0f);
  EXPECT_GT(u32_to_open01_double(0, 0), 0.0);
  EXPECT_LT(u32_to_open01_double(0xffffffffu, 0xffffffffu), 1.0);
  // Chi-square over 20 bins for 200k draws: 19 dof, 99.9% quantile is 43.8.
  const int bins = 20, n = 200000;
  std::vector<int> counts(bins, 0);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const float u = uniform(1, 2, i);
    ASSERT_GT(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    counts[static_cast<int>(u * bins)]++;
    sum += u;
  }
  double chi2 = 0;
  const double expected = static_cast<double>(n) / bins;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 43.8);
  EXPECT_NEAR(sum / n, 0.5, 0.003);
}
