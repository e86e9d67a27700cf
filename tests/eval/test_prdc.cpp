// PRDC: against the `prdc` package (tests/peer/make_classifier_prdc_fixtures.py), against a
// brute-force reference written from the definitions, and its limits (identical samples,
// disjoint samples), plus the CaloChallenge input transform.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/error.hpp"
#include "host/eval/prdc.hpp"
#include "kernels/philox.hpp"

namespace ce = calo::eval;

namespace {

std::vector<float> flat(const nlohmann::json& rows, int64_t& n, int& d) {
  n = static_cast<int64_t>(rows.size());
  d = static_cast<int>(rows[0].size());
  std::vector<float> v;
  for (const auto& r : rows)
    for (const auto& x : r) v.push_back(x.get<float>());
  return v;
}

std::vector<float> cloud(int64_t n, int d, uint64_t seed, double shift) {
  std::vector<float> v(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) {
      const auto u =
          calo::uniform2_double(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(j));
      v[static_cast<size_t>(i * d + j)] = static_cast<float>(
          shift + std::sqrt(-2.0 * std::log(u.u[0])) * std::cos(2.0 * M_PI * u.u[1]));
    }
  return v;
}

double dist(const std::vector<float>& a, int64_t i, const std::vector<float>& b, int64_t j, int d) {
  double s = 0;
  for (int t = 0; t < d; ++t) {
    const double x = double(a[size_t(i * d + t)]) - double(b[size_t(j * d + t)]);
    s += x * x;
  }
  return std::sqrt(s);
}

// Straight from the definitions (Naeem et al. 2020), with full sorts.
ce::PrdcResult brute(const std::vector<float>& r, int64_t n, const std::vector<float>& f, int64_t m,
                     int d, int k) {
  auto radii = [&](const std::vector<float>& a, int64_t na) {
    std::vector<double> out;
    for (int64_t i = 0; i < na; ++i) {
      std::vector<double> ds;
      for (int64_t j = 0; j < na; ++j)
        if (j != i) ds.push_back(dist(a, i, a, j, d));
      std::sort(ds.begin(), ds.end());
      out.push_back(ds[size_t(k - 1)]);
    }
    return out;
  };
  const auto rr = radii(r, n), rf = radii(f, m);
  ce::PrdcResult p;
  for (int64_t j = 0; j < m; ++j) {
    int c = 0;
    for (int64_t i = 0; i < n; ++i) c += dist(r, i, f, j, d) < rr[size_t(i)];
    p.precision += c > 0;
    p.density += c;
  }
  for (int64_t i = 0; i < n; ++i) {
    bool in = false;
    double nearest = 1e300;
    for (int64_t j = 0; j < m; ++j) {
      const double x = dist(r, i, f, j, d);
      in = in || x < rf[size_t(j)];
      nearest = std::min(nearest, x);
    }
    p.recall += in;
    p.coverage += nearest < rr[size_t(i)];
  }
  p.precision /= double(m);
  p.density /= double(k) * double(m);
  p.recall /= double(n);
  p.coverage /= double(n);
  return p;
}

}  // namespace

TEST(EvalPrdc, MatchesThePrdcPackage) {
  std::ifstream in(std::string(CALO_TEST_DATA_DIR) + "/eval/classifier_prdc_fixture.json");
  ASSERT_TRUE(in.good());
  const auto j = nlohmann::json::parse(in);
  for (const auto& c : j["prdc"]) {
    int64_t n = 0, m = 0;
    int d = 0, d2 = 0;
    const auto real = flat(c["real"], n, d), fake = flat(c["fake"], m, d2);
    const ce::PrdcResult p = ce::prdc(real, n, fake, m, d, c["k"].get<int>());
    EXPECT_NEAR(p.precision, c["precision"].get<double>(), 1e-12);
    EXPECT_NEAR(p.recall, c["recall"].get<double>(), 1e-12);
    EXPECT_NEAR(p.density, c["density"].get<double>(), 1e-12);
    EXPECT_NEAR(p.coverage, c["coverage"].get<double>(), 1e-12);
  }
}

TEST(EvalPrdc, MatchesBruteForceAcrossTiles) {
  // 700 and 600 rows: more than one 512-row tile on each side
  const int d = 9, k = 5;
  const auto r = cloud(700, d, 1, 0.0), f = cloud(600, d, 2, 0.4);
  const ce::PrdcResult p = ce::prdc(r, 700, f, 600, d, k), b = brute(r, 700, f, 600, d, k);
  EXPECT_DOUBLE_EQ(p.precision, b.precision);
  EXPECT_DOUBLE_EQ(p.recall, b.recall);
  EXPECT_DOUBLE_EQ(p.density, b.density);
  EXPECT_DOUBLE_EQ(p.coverage, b.coverage);
  EXPECT_LT(p.precision, 1.0);
}

TEST(EvalPrdc, SameDistributionNearOneDisjointZero) {
  const int d = 6;
  const auto a = cloud(800, d, 3, 0.0), b = cloud(800, d, 4, 0.0), far = cloud(800, d, 5, 50.0);
  const ce::PrdcResult same = ce::prdc(a, 800, b, 800, d, 5);
  EXPECT_GT(same.precision, 0.6);
  EXPECT_GT(same.recall, 0.6);
  EXPECT_NEAR(same.density, 1.0, 0.2);
  EXPECT_GT(same.coverage, 0.9);
  const ce::PrdcResult apart = ce::prdc(a, 800, far, 800, d, 5);
  EXPECT_EQ(apart.precision, 0.0);
  EXPECT_EQ(apart.recall, 0.0);
  EXPECT_EQ(apart.density, 0.0);
  EXPECT_EQ(apart.coverage, 0.0);
  EXPECT_THROW(ce::prdc(a, 5, b, 800, d, 5), calo::InputError);  // n must exceed k
}

TEST(EvalPrdc, InputIsLog10OfThresholdedVoxelsWithZerosAtPointOne) {
  const auto x = ce::prdc_features({0.0f, 0.01f, 0.02f, 100.0f});
  EXPECT_FLOAT_EQ(x[0], -1.0f);  // empty
  EXPECT_FLOAT_EQ(x[1], -1.0f);  // below 15.15 keV: thresholded to 0
  EXPECT_NEAR(x[2], std::log10(0.02), 1e-6);
  EXPECT_FLOAT_EQ(x[3], 2.0f);
}
