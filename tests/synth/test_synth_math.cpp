// Special functions and samplers of kernels/synth/gp_shower.hpp against closed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/synth/gp_shower.hpp"

using namespace calo;
using namespace calo::synth;

TEST(SynthMath, IncompleteGammaMatchesClosedForms) {
  for (double x : {0.01, 0.3, 1.0, 2.5, 7.0, 30.0}) {
    EXPECT_NEAR(gamma_p(1.0, x), 1.0 - std::exp(-x), 1e-11) << x;
    EXPECT_NEAR(gamma_p(2.0, x), 1.0 - std::exp(-x) * (1.0 + x), 1e-11) << x;
    EXPECT_NEAR(gamma_p(0.5, x), std::erf(std::sqrt(x)), 1e-11) << x;
    EXPECT_NEAR(gamma_p(4.0, x), 1.0 - std::exp(-x) * (1.0 + x + x * x / 2 + x * x * x / 6), 1e-11)
        << x;
  }
  EXPECT_EQ(gamma_p(3.0, 0.0), 0.0);
}

TEST(SynthMath, GammaAndPoissonMoments) {
  PhiloxCursor rng(5, 0);
  const int n = 200000;
  for (double shape : {0.4, 3.0, 50.0}) {
    double m = 0, m2 = 0;
    for (int i = 0; i < n; ++i) {
      const double x = draw_gamma(rng, shape);
      m += x;
      m2 += x * x;
    }
    m /= n;
    const double v = m2 / n - m * m;
    EXPECT_NEAR(m, shape, 5 * std::sqrt(shape / n)) << shape;
    EXPECT_NEAR(v / shape, 1.0, 0.03) << shape;
  }
  for (double lambda : {0.3, 4.0, 40.0, 200.0}) {
    double m = 0, m2 = 0;
    for (int i = 0; i < n; ++i) {
      const double x = draw_poisson(rng, lambda);
      m += x;
      m2 += x * x;
    }
    m /= n;
    const double v = m2 / n - m * m;
    EXPECT_NEAR(m, lambda, 5 * std::sqrt(lambda / n)) << lambda;
    EXPECT_NEAR(v / lambda, 1.0, 0.03) << lambda;
  }
}

TEST(SynthMath, HitEnergyMomentsMatchClosedForm) {
  GpParams p;
  double mean = 0, second = 0;
  hit_moments(p, &mean, &second);
  PhiloxCursor rng(9, 1);
  const int n = 400000;
  double m = 0, m2 = 0;
  int below = 0;
  for (int i = 0; i < n; ++i) {
    const double h = draw_hit_energy(rng, p);
    m += h;
    m2 += h * h;
    below += h < p.soft_low;
  }
  m /= n;
  m2 /= n;
  EXPECT_EQ(below, 0);
  EXPECT_NEAR(m / mean, 1.0, 0.01);
  EXPECT_NEAR(m2 / second, 1.0, 0.03);
  // Most probable value sits at the MIP peak (Landau-like): the mode of a histogram of the hard
  // hits lies between MPV and MPV / cos_min.
  std::vector<int> hist(100, 0);
  PhiloxCursor rng2(9, 2);
  GpParams hard = p;
  hard.soft_fraction = 0.0;
  for (int i = 0; i < n; ++i) {
    const double h = draw_hit_energy(rng2, hard);
    if (h < 10.0) ++hist[static_cast<int>(h * 10)];
  }
  int mode = 0;
  for (int i = 0; i < 100; ++i)
    if (hist[i] > hist[mode]) mode = i;
  EXPECT_GE(mode / 10.0, p.mpv - 0.1);
  EXPECT_LE(mode / 10.0, p.mpv / p.cos_min);
}

TEST(SynthMath, RadialProfileIsNormalisedAndCoreDominated) {
  GpParams p;
  for (double e : {1e3, 1e6})
    for (double tau : {0.2, 1.0, 2.5}) {
      const Radial r = gp_radial(p, e, tau);
      EXPECT_GE(r.p, 0.0);
      EXPECT_LE(r.p, 1.0);
      EXPECT_GT(r.rc, 0.0);
      EXPECT_GE(r.rt, r.rc);
      EXPECT_NEAR(radial_cdf(1e9, r.rc), 1.0, 1e-12);
    }
  // At the shower maximum ~90% within one Moliere radius (PDG rule of thumb).
  const Radial r = gp_radial(p, 1e4, 1.0);
  const double in_rm = r.p * radial_cdf(1.0, r.rc) + (1 - r.p) * radial_cdf(1.0, r.rt);
  EXPECT_GT(in_rm, 0.88);
  EXPECT_LT(in_rm, 0.99);
}

TEST(SynthMath, LongitudinalParametersFollowGpSamplingSet) {
  GpParams p;
  // <ln T> at 1 GeV: ln(ln(1000/8.23) - 0.812 - 0.55/2.482 - 0.69*0.296) = ln(3.56)
  const Longitudinal l = gp_longitudinal(p, 1e3);
  EXPECT_NEAR(std::exp(l.mu_ln_t), 3.56, 0.01);
  EXPECT_NEAR(l.sigma_ln_t, 0.286, 0.002);
  EXPECT_NEAR(l.sigma_ln_a, 0.336, 0.002);
  EXPECT_NEAR(l.rho, 0.674, 0.002);
  const Longitudinal h = gp_longitudinal(p, 1e6);
  EXPECT_NEAR(std::exp(h.mu_ln_t), 10.47, 0.02);
}

TEST(SynthMath, DepositUsesChallengeBinning) {
  std::vector<float> v(kVoxels, 0.0f);
  // alpha bins start at -pi: a point at angle -pi + epsilon is bin 0, at +pi/8 + eps is bin 9
  deposit(v.data(), 3, std::cos(-kPi + 0.01) * 1.0, std::sin(-kPi + 0.01) * 1.0, 1.0);
  EXPECT_EQ(v[voxel_of(3, 0, 0)], 1.0f);
  deposit(v.data(), 44, std::cos(kPi / 8 + 0.01) * 10.0, std::sin(kPi / 8 + 0.01) * 10.0, 2.0);
  EXPECT_EQ(v[(44 * 16 + 9) * 9 + 2], 2.0f);
  deposit(v.data(), 0, 41.9, 0.0, 5.0);  // beyond 41.85 mm: lost
  double tot = 0;
  for (float x : v) tot += x;
  EXPECT_EQ(tot, 3.0);
}
