#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include <omp.h>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "kernels/rbm/gibbs_math.hpp"
#include "kernels/transform.hpp"
#include "samplers/ais.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/prior_sampler.hpp"
#include "samplers/rbm.hpp"
#include "samplers/rbm_learning.hpp"

using namespace calo;

namespace {

Rbm tiny_rbm(int n, uint64_t seed, float w_std = 0.7f, float b_std = 0.5f) {
  Rbm r = Rbm::from_graph(zephyr_graph(1, 2), n);
  r.init_random(seed, {w_std, w_std, w_std, w_std, w_std, w_std}, b_std);
  return r;
}

// exact distribution of the free partitions (3n bits, index bit k = node n + k) given the clamp
std::vector<double> exact_conditional(const Rbm& rbm, const std::vector<uint8_t>& clamp,
                                      double beta) {
  const int n = rbm.n(), F = 3 * n;
  std::vector<uint8_t> z(static_cast<size_t>(4 * n));
  std::copy(clamp.begin(), clamp.end(), z.begin());
  std::vector<double> p(size_t(1) << F);
  double s = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    for (int i = 0; i < F; ++i) z[size_t(n + i)] = uint8_t((k >> i) & 1u);
    p[k] = std::exp(-beta * rbm.energy(z.data()));
    s += p[k];
  }
  for (auto& v : p) v /= s;
  return p;
}

// Gibbs histogram over the free partitions: `sweeps` recorded sweeps after `burn` sweeps
std::vector<double> gibbs_histogram(const Rbm& rbm, const std::vector<uint8_t>& clamp,
                                    GibbsPath path, int chains, int burn, int sweeps, float beta,
                                    uint64_t seed) {
  const int n = rbm.n(), N = 4 * n;
  BlockGibbsSampler g(rbm, chains, seed, path);
  std::vector<uint8_t> init(size_t(chains) * size_t(N));
  for (int c = 0; c < chains; ++c)
    std::copy(clamp.begin(), clamp.end(), init.begin() + long(c) * N);
  g.set_states(init);
  g.randomize(seed + 1);
  g.run(burn, beta);
  std::vector<double> h(size_t(1) << (3 * n), 0.0);
  for (int s = 0; s < sweeps; ++s) {
    g.run(1, beta);
    const auto st = g.states();
    for (int c = 0; c < chains; ++c) {
      size_t k = 0;
      for (int i = 0; i < 3 * n; ++i) k |= size_t(st[size_t(c) * size_t(N) + size_t(n + i)]) << i;
      h[k] += 1;
    }
  }
  for (auto& v : h) v /= double(chains) * sweeps;
  return h;
}

double total_variation(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return 0.5 * s;
}

const std::vector<uint8_t> kClamp3 = {1, 0, 1};

}  // namespace

TEST(Rbm, FromGraphPartitionsAndMasks) {
  const auto g = zephyr_graph(6, 4);
  const Rbm r = Rbm::from_graph(g, 302);
  EXPECT_EQ(r.n(), 302);
  EXPECT_EQ(r.num_nodes(), 1208);
  size_t masked = 0;
  for (const auto& [p, q] : kRbmPairs)
    for (uint8_t m : r.mask(p, q)) masked += m;
  size_t expected = 0;
  for (const auto& e : g.edges) expected += (r.slot_of(e.first) && r.slot_of(e.second));
  EXPECT_EQ(masked, expected);
  for (int p = 0; p < 4; ++p)
    for (int s = 0; s < 302; s += 37) {
      const auto ps = r.slot_of(r.qubit(p, s));
      ASSERT_TRUE(ps);
      EXPECT_EQ(ps->first, p);
      EXPECT_EQ(ps->second, s);
      EXPECT_EQ(four_color(g, r.qubit(p, s)), p);
    }
  EXPECT_THROW(Rbm::from_graph(g, 313), InputError);  // only 312 per colour
}

TEST(Rbm, EnergyMatchesDefinitionAndMaskedWeightsAreZero) {
  Rbm r = tiny_rbm(4, 3);
  for (const auto& [p, q] : kRbmPairs)
    for (size_t i = 0; i < r.mask(p, q).size(); ++i)
      if (!r.mask(p, q)[i]) {
        EXPECT_EQ(r.weights(p, q)[i], 0.0f);
      }
  std::vector<uint8_t> z(16, 0);
  EXPECT_DOUBLE_EQ(r.energy(z.data()), 0.0);
  z[0] = 1;  // p0 slot 0
  EXPECT_NEAR(r.energy(z.data()), -r.bias(0)[0], 1e-6);
  EXPECT_NEAR(r.energy_conditional(z.data()), 0.0, 1e-12);
  z[4 + 2] = 1;  // p1 slot 2
  EXPECT_NEAR(r.energy(z.data()), -r.bias(0)[0] - r.bias(1)[2] - r.weights(0, 1)[0 * 4 + 2], 1e-6);
}

TEST(Rbm, SaveLoadRoundTrip) {
  const Rbm r = tiny_rbm(4, 11);
  const std::string path = ::testing::TempDir() + "/rbm_roundtrip.h5";
  r.save(path);
  const Rbm l = Rbm::load(path);
  EXPECT_EQ(l.n(), 4);
  for (const auto& [p, q] : kRbmPairs) EXPECT_EQ(l.weights(p, q), r.weights(p, q));
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(l.bias(p), r.bias(p));
    EXPECT_EQ(l.qubits(p), r.qubits(p));
  }
  EXPECT_EQ(l.graph().edges, r.graph().edges);
  std::remove(path.c_str());
  EXPECT_THROW(Rbm::load(path), InputError);
}

TEST(Rbm, NamedArraysRoundTripAndMaskCheck) {
  const Rbm r = tiny_rbm(4, 15);
  auto arrays = r.to_named_arrays();
  const Rbm l = Rbm::from_named_arrays(r.graph(), arrays);
  for (const auto& [p, q] : kRbmPairs) EXPECT_EQ(l.weights(p, q), r.weights(p, q));
  for (int p = 0; p < 4; ++p) EXPECT_EQ(l.qubits(p), r.qubits(p));
  for (auto& [name, v] : arrays)
    if (name == "prior.weights_01")
      for (size_t i = 0; i < v.size(); ++i)
        if (!r.mask(0, 1)[i]) v[i] = 1.0f;
  EXPECT_THROW(Rbm::from_named_arrays(r.graph(), arrays), InputError);
  EXPECT_THROW(Rbm::from_named_arrays(r.graph(), {}), InputError);
}

TEST(Gibbs, SparseMatchesExactBoltzmannAndRejectsWrongBeta) {
  const Rbm r = tiny_rbm(3, 5);
  const auto exact = exact_conditional(r, kClamp3, 1.0);
  const auto h = gibbs_histogram(r, kClamp3, GibbsPath::cpu_sparse, 2048, 20, 100, 1.0f, 42);
  // 512 states, 204800 correlated samples: sampling TV about 0.02
  EXPECT_LT(total_variation(h, exact), 0.04);
  EXPECT_GT(total_variation(h, exact_conditional(r, kClamp3, 0.6)), 0.08);  // the test can fail
}

TEST(Gibbs, InverseTemperature) {
  const Rbm r = tiny_rbm(3, 6);
  const auto h = gibbs_histogram(r, kClamp3, GibbsPath::cpu_sparse, 2048, 20, 100, 0.5f, 7);
  EXPECT_LT(total_variation(h, exact_conditional(r, kClamp3, 0.5)), 0.04);
  EXPECT_GT(total_variation(h, exact_conditional(r, kClamp3, 1.0)), 0.08);
}

TEST(Gibbs, DenseMatchesExactAndSparseChains) {
  const Rbm r = tiny_rbm(3, 5);
  const auto h = gibbs_histogram(r, kClamp3, GibbsPath::cpu_dense, 2048, 20, 100, 1.0f, 43);
  EXPECT_LT(total_variation(h, exact_conditional(r, kClamp3, 1.0)), 0.04);
  // same seed: same chains up to float summation order
  const Rbm big = Rbm::from_graph(zephyr_graph(2, 4), 40);
  Rbm rb = big;
  rb.init_random(9, {0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, 0.3f);
  BlockGibbsSampler a(rb, 64, 17, GibbsPath::cpu_sparse), b(rb, 64, 17, GibbsPath::cpu_dense);
  std::vector<float> e(64);
  for (int c = 0; c < 64; ++c) e[size_t(c)] = 1000.0f * float(c + 1);
  for (auto* s : {&a, &b}) {
    s->randomize(5);
    s->clamp_energies(e);
    s->run(10, 1.0f);
  }
  const auto sa = a.states(), sb = b.states();
  size_t diff = 0;
  for (size_t i = 0; i < sa.size(); ++i) diff += sa[i] != sb[i];
  EXPECT_LE(double(diff), 1e-3 * double(sa.size())) << diff;
}

TEST(Gibbs, ClampedPartitionNeverChanges) {
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), 40);
  r.init_random(1, {2, 2, 2, 2, 2, 2}, 2);
  for (GibbsPath path : {GibbsPath::cpu_sparse, GibbsPath::cpu_dense}) {
    BlockGibbsSampler g(r, 32, 3, path);
    std::vector<float> e(32);
    for (int c = 0; c < 32; ++c) e[size_t(c)] = 1000.0f + 31000.0f * float(c);
    g.randomize(2);
    g.clamp_energies(e);
    g.run(5, 1.0f);
    const auto st = g.states();
    std::vector<uint8_t> code(40);
    for (int c = 0; c < 32; ++c) {
      energy_code(double(e[size_t(c)]), 40, code.data());
      for (int i = 0; i < 40; ++i) ASSERT_EQ(st[size_t(c) * 160 + size_t(i)], code[size_t(i)]);
    }
    EXPECT_EQ(g.sweeps_done(), 5u);
  }
}

TEST(Gibbs, ResultIndependentOfThreadCountAndSplitting) {
  const Rbm r = tiny_rbm(4, 8);
  BlockGibbsSampler a(r, 300, 5), b(r, 300, 5);
  a.randomize(1);
  b.randomize(1);
  a.run(6, 1.0f);
  b.run(2, 1.0f);
  b.run(4, 1.0f);
  EXPECT_EQ(a.states(), b.states());
}

TEST(Gibbs, ParallelSweepEqualsSingleThread) {
  // big enough for the threaded path (n x chains >= 2^15), with a partial last lane block
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), 40);
  r.init_random(8, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.5f);
  std::vector<std::vector<uint8_t>> out;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    BlockGibbsSampler g(r, 1000, 4);
    g.randomize(6);
    g.run(3, 1.0f);
    out.push_back(g.states());
  }
  omp_set_num_threads(2);
  EXPECT_EQ(out[0], out[1]);
}

// chains % 4 == 0 runs the four-chain kernel, any other count the one-chain kernel
// (kernels/rbm/gibbs.cu); both against the sparse CPU path.
class GibbsCuda : public ::testing::TestWithParam<int> {};

TEST_P(GibbsCuda, CudaEqualsCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const int chains = GetParam();
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), 40);
  r.init_random(4, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.5f);
  BlockGibbsSampler a(r, chains, 21, GibbsPath::cpu_sparse), b(r, chains, 21, GibbsPath::cuda);
  a.randomize(3);
  b.randomize(3);
  a.run(8, 1.0f);
  b.run(8, 1.0f);
  // The same field sums in the same order, the polynomial exp of bernoulli_from_logit_fast and no
  // fused multiply-adds on either side (-ffp-contract=off, --fmad=false): the same bits.
  EXPECT_EQ(a.states(), b.states());
}

INSTANTIATE_TEST_SUITE_P(QuadAndScalarKernels, GibbsCuda, ::testing::Values(1000, 1001, 7),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "chains" + std::to_string(p.param);
                         });

TEST(PriorSampler, ClampsEnergyCodeAndIsReproducible) {
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), 40);
  r.init_random(4, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.5f);
  auto s = make_gibbs_prior_sampler(Backend::cpu, 10);
  const std::vector<float> e = {1000.0f, 5e5f, 1e6f};
  const auto a = s->sample(r, e, 9), b = s->sample(r, e, 9), c = s->sample(r, e, 10);
  ASSERT_EQ(a.size(), 3u * 160u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<uint8_t> code(40);
  for (int k = 0; k < 3; ++k) {
    energy_code(double(e[size_t(k)]), 40, code.data());
    for (int i = 0; i < 40; ++i) EXPECT_EQ(a[size_t(k) * 160 + size_t(i)], code[size_t(i)]);
  }
  EXPECT_EQ(s->name(), "gibbs-cpu");
  EXPECT_THROW(make_gibbs_prior_sampler(Backend::cpu, 0), InputError);
}

TEST(Learning, PlainGradientEqualsFiniteDifferenceOfExactLogLikelihood) {
  Rbm r = tiny_rbm(3, 12, 0.4f, 0.3f);
  std::vector<uint8_t> data(5 * 12);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * 7 + i / 5) % 3 == 0);
  auto ll = [&](const Rbm& m) { return log_likelihood(m, data, 5, exact_log_z(m)); };
  RbmMoments d = moments_from_states(std::span<const uint8_t>(data), 5, 12);
  d.bessel = 1.0;
  const auto g = plain_gradient(r, d, exact_moments(r));
  const double h = 1e-3;
  int checked = 0;
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    for (size_t i = 0; i < 9; ++i) {
      if (!r.mask(p, q)[i]) {
        EXPECT_EQ(g.w[size_t(k)][i], 0.0f);
        continue;
      }
      Rbm a = r, b = r;
      a.weights(p, q)[i] += float(h);
      b.weights(p, q)[i] -= float(h);
      EXPECT_NEAR(g.w[size_t(k)][i], (ll(a) - ll(b)) / (2 * h), 2e-3) << k << " " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 6);
  for (int p = 0; p < 4; ++p)
    for (size_t i = 0; i < 3; ++i) {
      Rbm a = r, b = r;
      a.bias(p)[i] += float(h);
      b.bias(p)[i] -= float(h);
      EXPECT_NEAR(g.b[size_t(p)][i], (ll(a) - ll(b)) / (2 * h), 2e-3);
    }
}

TEST(Learning, CentredGradientFormulaAndAscent) {
  Rbm r = tiny_rbm(4, 13, 0.4f, 0.3f);
  std::vector<uint8_t> data(6 * 16);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * 5 + i / 3) % 4 < 2);
  RbmMoments d = moments_from_states(std::span<const uint8_t>(data), 6, 16);
  const RbmMoments m = exact_moments(r);
  const auto gc = centred_gradient(r, d, m);
  // independent check of one weight and one bias entry of the formula
  const size_t n = 4, N = 16;
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    for (size_t i = 0; i < n * n; ++i) {
      if (!r.mask(p, q)[i]) continue;
      const size_t a = size_t(p) * n + i / n, b = size_t(q) * n + i % n;
      const double cd = (d.second[a * N + b] - d.mu[a] * d.mu[b]) * 6.0 / 5.0;
      const double cm = m.second[a * N + b] - m.mu[a] * m.mu[b];
      EXPECT_NEAR(gc.w[size_t(k)][i], cd - cm, 1e-6);
    }
  }
  // exact centred step increases the likelihood (data moments without Bessel factor)
  d.bessel = 1.0;
  const double ll0 = log_likelihood(r, data, 6, exact_log_z(r));
  Rbm up = r;
  apply_gradient(up, centred_gradient(r, d, m), 0.05f);
  EXPECT_GT(log_likelihood(up, data, 6, exact_log_z(up)), ll0 + 1e-4);
  for (const auto& [p, q] : kRbmPairs)
    for (size_t i = 0; i < 16; ++i)
      if (!up.mask(p, q)[i]) {
        EXPECT_EQ(up.weights(p, q)[i], 0.0f);
      }
}

TEST(Ais, LogZWithinToleranceOfExact) {
  const Rbm r = tiny_rbm(4, 21, 0.6f, 0.4f);
  AisOptions o;
  o.chains = 200;
  o.steps = 300;
  o.seed = 3;
  const double exact = exact_log_z(r);
  const auto a = ais_log_z(r, o);
  EXPECT_NEAR(a.log_z, exact, std::max(0.05, 4 * a.log_z_stderr)) << a.log_z_stderr;
  const std::vector<uint8_t> clamp = {1, 1, 0, 1};
  std::vector<uint8_t> z(16);
  std::copy(clamp.begin(), clamp.end(), z.begin());
  double s = 0;
  for (int k = 0; k < 4096; ++k) {
    for (int i = 0; i < 12; ++i) z[size_t(4 + i)] = uint8_t((k >> i) & 1);
    s += std::exp(-r.energy(z.data()));
  }
  const auto c = ais_log_z_conditional(r, clamp, o);
  EXPECT_NEAR(c.log_z, std::log(s), std::max(0.05, 4 * c.log_z_stderr));
}

TEST(Gibbs, BlockDrawsEqualScalarDraws) {
  for (int chains : {4, 64, 1024})
    for (int c4 = 0; c4 < chains; c4 += 4) {
      const Uniform4 u = gibbs_uniform4(77, 5, 13, 40, c4, chains);
      for (int k = 0; k < 4; ++k) ASSERT_EQ(u.u[k], gibbs_uniform(77, 5, 13, 40, c4 + k, chains));
    }
  // distinct (sweep, node, chain) give distinct draws
  EXPECT_NE(gibbs_uniform(1, 0, 0, 8, 0, 3), gibbs_uniform(1, 0, 0, 8, 1, 3));
  EXPECT_NE(gibbs_uniform(1, 0, 0, 8, 0, 3), gibbs_uniform(1, 1, 0, 8, 0, 3));
}

TEST(Gibbs, LaneDrawsEqualScalarDraws) {
  // aligned first index (four words per Philox block) and unaligned (one block per lane)
  for (int chains : {64, 1024, 1027, 3})
    for (int chain0 : {0, 64, 5}) {
      float u[64];
      gibbs_uniform_lanes<64>(77, 9, 13, 40, chain0, chains, u);
      for (int l = 0; l < 64; ++l)
        ASSERT_EQ(u[l], gibbs_uniform(77, 9, 13, 40, chain0 + l, chains)) << chains << " " << l;
    }
}

TEST(Gibbs, FastExpAndUpdateRuleMatchLibm) {
  double worst = 0;
  for (float y = 0.0f; y < 87.0f; y += 0.001953125f)
    worst = std::max(worst, std::abs(double(exp_neg_poly(y)) / std::exp(-double(y)) - 1.0));
  EXPECT_LT(worst, 3e-7);
  EXPECT_GT(exp_neg_poly(1000.0f), 0.0f);  // clamped at exp(-87), never 0 or denormal
  EXPECT_EQ(exp_neg_poly(0.0f), 1.0f);
  // the update rule is u < sigmoid(x) up to float rounding: a flip needs u within 1e-6 of sigmoid
  PhiloxCursor rng(3, 4);
  int flips = 0;
  for (int k = 0; k < 200000; ++k) {
    const float x = 40.0f * (rng.next_uniform() - 0.5f), u = rng.next_uniform();
    const double p = 1.0 / (1.0 + std::exp(-double(x)));
    const bool exact = double(u) < p, fast = gibbs_update(x, 1.0f, u) == 1;
    if (exact != fast) {
      ++flips;
      EXPECT_LT(std::abs(double(u) - p), 1e-6) << x << " " << u;
    }
  }
  EXPECT_LT(flips, 5);
  EXPECT_EQ(gibbs_update(std::nanf(""), 1.0f, 0.5f), 0);
  EXPECT_EQ(gibbs_update(1e30f, 1.0f, 0.999f), 1);
  EXPECT_EQ(gibbs_update(-1e30f, 1.0f, 1e-9f), 0);
}

TEST(Gibbs, OddChainCountMatchesExact) {
  const Rbm r = tiny_rbm(3, 5);
  const auto h = gibbs_histogram(r, kClamp3, GibbsPath::cpu_sparse, 2047, 20, 100, 1.0f, 44);
  EXPECT_LT(total_variation(h, exact_conditional(r, kClamp3, 1.0)), 0.04);
}

TEST(Learning, PcdAndCdGradientsApproachExactCentredGradient) {
  const Rbm r = tiny_rbm(3, 14, 0.5f, 0.3f);
  // data: 2048 rows with partition 0 = kClamp3 and free bits from a fixed pattern
  const int batch = 2048, N = 12;
  std::vector<float> data(size_t(batch) * N);
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < N; ++i)
      data[size_t(b) * N + size_t(i)] =
          i < 3 ? float(kClamp3[size_t(i)]) : float(((b * 7 + i * 3) % 5) < 2);
  const RbmMoments d = moments_from_states(std::span<const float>(data), batch, N);
  const auto exact = centred_gradient(r, d, exact_moments(r, &kClamp3));
  BlockGibbsSampler chains(r, 4096, 5);
  std::vector<uint8_t> init(size_t(4096) * N, 0);
  for (int c = 0; c < 4096; ++c)
    std::copy(kClamp3.begin(), kClamp3.end(), init.begin() + long(c) * N);
  chains.set_states(init);
  chains.randomize(8);
  const auto pcd = pcd_gradient(r, chains, data, batch, 40);
  const auto cd = cd_k_gradient(r, data, batch, 40, 6);
  double worst_pcd = 0, worst_cd = 0, largest = 0;
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < 9; ++i) {
      worst_pcd =
          std::max(worst_pcd, double(std::fabs(pcd.w[size_t(k)][i] - exact.w[size_t(k)][i])));
      worst_cd = std::max(worst_cd, double(std::fabs(cd.w[size_t(k)][i] - exact.w[size_t(k)][i])));
      largest = std::max(largest, double(std::fabs(exact.w[size_t(k)][i])));
    }
  EXPECT_LT(worst_pcd, 0.03);
  EXPECT_LT(worst_cd, 0.03);
  EXPECT_GT(largest, 0.1);  // the comparison is not trivially zero
}
