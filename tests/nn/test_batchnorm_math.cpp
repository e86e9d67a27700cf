// The BatchNorm and channel-reduction functions of kernels/nn/batchnorm_math.hpp (called by the CPU
// ops, sync-BN and the CUDA kernels) against an exact long-double computation, walked both the CPU
// way (first 0, step 1) and the way a CUDA block walks them (thread t of T, then a sum of the
// partials). The GPU-vs-CPU comparison of the kernels is GpuLayers.BatchNormAndSequential (PReLU in
// GpuLayers.ConvTransposeLinearActivations, the channel affine through GroupNorm1).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/backend.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/batchnorm_math.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {
namespace {

constexpr int64_t B = 5, C = 3, S = 7;

std::vector<float> values(uint64_t seed, float offset) {
  std::vector<float> v(size_t(B * C * S));
  for (size_t i = 0; i < v.size(); ++i) v[i] = offset + 4.0f * (uniform(seed, 0, i) - 0.5f);
  return v;
}

struct Exact {
  long double mean = 0, var = 0;  // biased
};
Exact exact_stats(const std::vector<float>& x, int64_t c) {
  Exact e;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) e.mean += x[size_t((b * C + c) * S + s)];
  e.mean /= B * S;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) {
      const long double d = x[size_t((b * C + c) * S + s)] - e.mean;
      e.var += d * d;
    }
  e.var /= B * S;
  return e;
}

struct Visit {
  std::vector<int>* hits;
  void operator()(int64_t i) { ++(*hits)[size_t(i)]; }
};

TEST(BatchNormMath, EveryWalkVisitsEachElementOfTheChannelOnce) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t threads : {int64_t{1}, int64_t{4}, int64_t{256}}) {
      std::vector<int> hits(size_t(B * C * S), 0);
      Visit v{&hits};
      for (int64_t t = 0; t < threads; ++t) channel_for_each(c, B, C, S, t, threads, v);
      for (int64_t i = 0; i < B * C * S; ++i)
        ASSERT_EQ(hits[size_t(i)], (i / S) % C == c ? 1 : 0) << "c " << c << " i " << i;
    }
}

TEST(BatchNormMath, StatisticsMatchTheExactComputationBothWalks) {
  const std::vector<float> x = values(3, 50.0f);  // an offset makes a one-pass variance fail
  for (int64_t c = 0; c < C; ++c) {
    const Exact e = exact_stats(x, c);
    for (int64_t threads : {int64_t{1}, int64_t{8}}) {
      double sum = 0.0, sq = 0.0;
      for (int64_t t = 0; t < threads; ++t) {
        ChannelSum s{x.data()};
        channel_for_each(c, B, C, S, t, threads, s);
        sum += s.sum;
      }
      const double mu = sum / double(B * S);
      for (int64_t t = 0; t < threads; ++t) {
        CentredSquares q{x.data(), mu};
        channel_for_each(c, B, C, S, t, threads, q);
        sq += q.sum;
      }
      const BnStats st = bn_stats(mu, sq, double(B * S), 1e-5f);
      EXPECT_NEAR(mu, double(e.mean), 1e-12 * 50);
      EXPECT_FLOAT_EQ(st.mean, float(e.mean));
      EXPECT_FLOAT_EQ(st.var, float(e.var));
      EXPECT_FLOAT_EQ(st.var_unbiased, float(e.var * (B * S) / (B * S - 1)));
      EXPECT_FLOAT_EQ(st.inv_std, float(1.0L / std::sqrt(float(e.var) + 1e-5L)));
    }
  }
}

// The CPU ops (which the CUDA kernels mirror through the same functors) against BatchNorm written
// out in long double: forward y and xhat, and the backward gx, ggamma, gbeta through the batch
// statistics.
TEST(BatchNormMath, CpuBatchNormMatchesTheExactFormulas) {
  const std::vector<float> x = values(5, 2.0f), gy = values(7, 0.0f);
  const std::vector<float> gamma = {1.5f, -0.5f, 2.0f}, beta = {0.1f, 0.0f, -1.0f};
  const float eps = 1e-5f;
  std::vector<float> y(x.size()), xhat(x.size()), gx(x.size()), mean(C), istd(C), varu(C);
  std::vector<float> gg(C, 0.0f), gb(C, 0.0f);
  ops::batchnorm_forward(Backend::cpu, x.data(), gamma.data(), beta.data(), y.data(), xhat.data(),
                         mean.data(), istd.data(), varu.data(), true, eps, B, C, S);
  ops::batchnorm_backward(Backend::cpu, gy.data(), xhat.data(), gamma.data(), istd.data(),
                          gx.data(), gg.data(), gb.data(), true, B, C, S);
  for (int64_t c = 0; c < C; ++c) {
    const Exact e = exact_stats(x, c);
    const long double is = 1.0L / std::sqrt(e.var + eps), n = B * S;
    long double sg = 0, sgx = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) {
        const size_t i = size_t((b * C + c) * S + s);
        const long double xh = (x[i] - e.mean) * is;
        EXPECT_NEAR(xhat[i], double(xh), 1e-5) << i;
        EXPECT_NEAR(y[i], double(gamma[size_t(c)] * xh + beta[size_t(c)]), 2e-5) << i;
        sg += gy[i];
        sgx += gy[i] * xh;
      }
    EXPECT_NEAR(gb[size_t(c)], double(sg), 1e-5);
    EXPECT_NEAR(gg[size_t(c)], double(sgx), 1e-4);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) {
        const size_t i = size_t((b * C + c) * S + s);
        const long double xh = (x[i] - e.mean) * is;
        const long double want = gamma[size_t(c)] * is * (gy[i] - sg / n - xh * sgx / n);
        EXPECT_NEAR(gx[i], double(want), 2e-5 * (1 + std::fabs(double(want)))) << i;
      }
  }
}

TEST(BatchNormMath, ChannelSumAccumulatesOverBatchAndPositions) {
  const std::vector<float> gy = values(9, 1.0f);
  std::vector<float> gbias = {1.0f, 2.0f, 3.0f};
  ops::channel_sum_acc(Backend::cpu, gy.data(), gbias.data(), B, C, S);
  for (int64_t c = 0; c < C; ++c) {
    long double want = 1.0L + c;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) want += gy[size_t((b * C + c) * S + s)];
    EXPECT_FLOAT_EQ(gbias[size_t(c)], float(want));
  }
}

// Sums a functor's partials over `threads` strided walks of channel c, as a CUDA block does (one
// walk per thread, then the partials added).
template <class F, class Make>
std::vector<F> walk(int64_t c, int64_t threads, Make make) {
  std::vector<F> parts;
  for (int64_t t = 0; t < threads; ++t) {
    parts.push_back(make());
    channel_for_each(c, B, C, S, t, threads, parts.back());
  }
  return parts;
}

// PReLU's slope gradient sum_{b,s} gy * (x > 0 ? 0 : x) per channel (float products, summed in
// long double): the functor both walks and the CPU op (which adds into the existing gradient); the
// op's input gradient too.
TEST(BatchNormMath, PreluSlopeGradientMatchesTheExactSumBothWalks) {
  const std::vector<float> x = values(11, 0.3f), gy = values(13, 0.0f);
  const std::vector<float> a = {0.25f, -0.1f, 0.6f};
  std::vector<float> gx(x.size()), ga = {0.5f, 0.0f, -2.0f};
  ops::prelu_backward(Backend::cpu, x.data(), a.data(), gy.data(), gx.data(), ga.data(), B, C, S);
  int negatives = 0;
  for (int64_t c = 0; c < C; ++c) {
    long double want = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) {
        const size_t i = size_t((b * C + c) * S + s);
        negatives += x[i] <= 0.0f;
        if (x[i] <= 0.0f) want += gy[i] * x[i];  // the product in float, as the op defines it
        EXPECT_EQ(gx[i], gy[i] * (x[i] > 0.0f ? 1.0f : a[size_t(c)])) << i;
      }
    for (int64_t threads : {int64_t{1}, int64_t{8}}) {
      long double got = 0;
      for (const auto& p : walk<PreluSlopeGradSum>(c, threads, [&] {
             return PreluSlopeGradSum{x.data(), gy.data()};
           }))
        got += p.sum;
      EXPECT_NEAR(double(got), double(want), 1e-12) << "c " << c << " threads " << threads;
    }
    const float before[] = {0.5f, 0.0f, -2.0f};
    EXPECT_FLOAT_EQ(ga[size_t(c)], float(before[c] + want)) << c;
  }
  EXPECT_GT(negatives, 20) << "the test data must reach the slope";
}

// The channel affine's backward: gx = gy * g[c], gb[c] += sum gy, gg[c] += sum gy * x, both walks
// and the CPU op against long double.
TEST(BatchNormMath, AffineBackwardMatchesTheExactSumsBothWalks) {
  const std::vector<float> x = values(15, 1.0f), gy = values(17, 0.2f);
  const std::vector<float> g = {1.5f, -0.75f, 0.1f};
  std::vector<float> gx(x.size()), gg = {0.0f, 1.0f, 0.0f}, gb = {0.0f, 0.0f, 3.0f};
  ops::affine_backward(Backend::cpu, x.data(), g.data(), gy.data(), gx.data(), gg.data(), gb.data(),
                       B, C, S);
  const float gg0[] = {0.0f, 1.0f, 0.0f}, gb0[] = {0.0f, 0.0f, 3.0f};
  for (int64_t c = 0; c < C; ++c) {
    long double sg = 0, sgx = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) {
        const size_t i = size_t((b * C + c) * S + s);
        sg += gy[i];
        sgx += (long double)gy[i] * x[i];
        EXPECT_EQ(gx[i], gy[i] * g[size_t(c)]) << i;
      }
    for (int64_t threads : {int64_t{1}, int64_t{8}}) {
      std::vector<float> gx_walk(x.size(), -1.0f);
      long double got_g = 0, got_gx = 0;
      for (const auto& p : walk<AffineBackward>(c, threads, [&] {
             return AffineBackward{x.data(), gy.data(), gx_walk.data(), g[size_t(c)]};
           })) {
        got_g += p.sg;
        got_gx += p.sgx;
      }
      EXPECT_NEAR(double(got_g), double(sg), 1e-12) << "c " << c << " threads " << threads;
      EXPECT_NEAR(double(got_gx), double(sgx), 1e-12) << "c " << c << " threads " << threads;
      for (int64_t i = 0; i < B * C * S; ++i) {
        if ((i / S) % C == c) {
          ASSERT_EQ(gx_walk[size_t(i)], gx[size_t(i)]) << i;
        }
      }
    }
    EXPECT_FLOAT_EQ(gb[size_t(c)], float(gb0[c] + sg)) << c;
    EXPECT_FLOAT_EQ(gg[size_t(c)], float(gg0[c] + sgx)) << c;
  }
}

}  // namespace
}  // namespace calo::nn
