// Activations, BatchNorm, Sequential, shape ops, Gumbel, losses, output combination and Adam:
// reference values and finite-difference gradients.
#include <gtest/gtest.h>

#include <cmath>

#include "host/error.hpp"
#include "host/nn/activations.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/gumbel.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/sequential.hpp"
#include "host/nn/shape_ops.hpp"
#include "kernels/nn/activations.hpp"
#include "tests/nn/test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::grad_check;
using testing::random_tensor;

// Inputs kept away from the kinks at 0 so central differences are valid.
Tensor away_from_zero(Shape s, uint64_t seed) {
  Tensor t = random_tensor(s, seed);
  for (float& v : t.host_span()) v = v >= 0.0f ? v + 0.1f : v - 0.1f;
  return t;
}

TEST(Activations, ReferenceValues) {
  Tensor x = Tensor::from_host({1, 4}, std::vector<float>{-2.0f, -0.5f, 0.5f, 3.0f});
  LeakyReLU leaky(0.1f);
  EXPECT_EQ(leaky.forward(x, true).to_vector(), (std::vector<float>{-0.2f, -0.05f, 0.5f, 3.0f}));
  leaky.set_slope(0.0f);
  EXPECT_EQ(leaky.forward(x, true).to_vector(), (std::vector<float>{0.0f, 0.0f, 0.5f, 3.0f}));
  ReLU relu;
  EXPECT_EQ(relu.forward(x, true).to_vector(), (std::vector<float>{0.0f, 0.0f, 0.5f, 3.0f}));
  SiLU silu;
  Sigmoid sig;
  const auto s = silu.forward(x, true).to_vector();
  const auto g = sig.forward(x, true).to_vector();
  for (int i = 0; i < 4; ++i) {
    const double xv = x.data()[i], sv = 1.0 / (1.0 + std::exp(-xv));
    EXPECT_NEAR(g[i], sv, 1e-7);
    EXPECT_NEAR(s[i], xv * sv, 1e-6);
  }
}

TEST(ActivationsGrad, FiniteDifferences) {
  Tensor x = away_from_zero({2, 3, 4}, 1);
  LeakyReLU leaky(0.02f);
  grad_check(leaky, x, true, 2);
  ReLU relu;
  grad_check(relu, x, true, 3);
  SiLU silu;
  grad_check(silu, x, true, 4);
  Sigmoid sig;
  grad_check(sig, x, true, 5);
  PReLU shared(1, 0.25f);
  grad_check(shared, x, true, 6);
  PReLU per_channel(3, 0.02f);
  per_channel.weight().value.host_span()[1] = 0.5f;
  grad_check(per_channel, x, true, 7);
  // Slope 0.5 on channel 1 only.
  Tensor y = per_channel.forward(x, true);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int c = static_cast<int>((i / 4) % 3);
    const float a = c == 1 ? 0.5f : 0.02f;
    EXPECT_FLOAT_EQ(y.data()[i], x.data()[i] > 0 ? x.data()[i] : a * x.data()[i]);
  }
}

TEST(BatchNorm, TrainingNormalisesAndUpdatesRunningStats) {
  BatchNorm bn(2);
  Tensor x = random_tensor({3, 2, 2, 2}, 10, 0.0f, 4.0f);
  Tensor y = bn.forward(x, true);
  for (int c = 0; c < 2; ++c) {
    double m = 0, v = 0, xm = 0, xv = 0;
    for (int b = 0; b < 3; ++b)
      for (int s = 0; s < 4; ++s) {
        m += y.data()[(b * 2 + c) * 4 + s];
        xm += x.data()[(b * 2 + c) * 4 + s];
      }
    m /= 12;
    xm /= 12;
    for (int b = 0; b < 3; ++b)
      for (int s = 0; s < 4; ++s) {
        v += std::pow(y.data()[(b * 2 + c) * 4 + s] - m, 2);
        xv += std::pow(x.data()[(b * 2 + c) * 4 + s] - xm, 2);
      }
    EXPECT_NEAR(m, 0.0, 1e-6);
    EXPECT_NEAR(v / 12, 1.0, 1e-3);
    EXPECT_NEAR(bn.running_mean().data()[c], 0.1 * xm, 1e-6);
    EXPECT_NEAR(bn.running_var().data()[c], 0.9 + 0.1 * xv / 11, 1e-5);  // unbiased
  }
  // Eval uses the running statistics.
  Tensor ye = bn.forward(x, false);
  EXPECT_NEAR(
      ye.data()[0],
      (x.data()[0] - bn.running_mean().data()[0]) / std::sqrt(bn.running_var().data()[0] + 1e-5),
      1e-5);
  ASSERT_EQ(bn.buffers().size(), 2u);
  EXPECT_EQ(bn.buffers()[0].name, "bn.running_mean");
}

TEST(BatchNormGrad, TrainingAndEval) {
  BatchNorm bn(3);
  bn.gamma().value.host_span()[1] = 1.7f;
  bn.beta().value.host_span()[2] = -0.3f;
  Tensor x = random_tensor({2, 3, 2, 3}, 11);
  testing::GradCheckOptions o;
  o.eps = 3e-3f;
  grad_check(bn, x, true, 12, o);
  bn.running_var().host_span()[0] = 2.0f;
  grad_check(bn, x, false, 13, o);
}

TEST(GroupNorm1, NormalisesEachSampleAndGradients) {
  GroupNorm1 gn(3);
  Tensor x = random_tensor({2, 3, 4}, 14, -1.0f, 3.0f);
  Tensor y = gn.forward(x, true);
  for (int b = 0; b < 2; ++b) {
    double m = 0, v = 0;
    for (int i = 0; i < 12; ++i) m += y.data()[b * 12 + i];
    m /= 12;
    for (int i = 0; i < 12; ++i) v += std::pow(y.data()[b * 12 + i] - m, 2);
    EXPECT_NEAR(m, 0.0, 1e-6);
    EXPECT_NEAR(v / 12, 1.0, 1e-3);
  }
  gn.gamma().value.host_span()[2] = 0.6f;
  gn.beta().value.host_span()[0] = 0.4f;
  testing::GradCheckOptions o;
  o.eps = 3e-3f;
  grad_check(gn, x, true, 15, o);
}

TEST(SequentialGrad, EncoderBlock) {
  Sequential seq("enc");
  seq.emplace<Conv3d>(1, 2, Dims3{3, 3, 3}, Dims3{2, 1, 1}, Padding3d::cylindrical, true, 5,
                      "enc.conv");
  seq.emplace<BatchNorm>(2, 1e-5f, 0.1f, "enc.bn");
  seq.emplace<PReLU>(2, 1.0f, "enc.act");  // slope 1: no kink for finite differences
  seq.emplace<Flatten>();
  seq.emplace<Linear>(2 * 2 * 8 * 8, 3, 6, true, "enc.fc");
  Tensor x = random_tensor({2, 1, 5, 8, 9}, 7);
  testing::GradCheckOptions o;
  o.eps = 3e-3f;
  o.abs_tol = 5e-3;
  o.max_checks = 300;
  grad_check(seq, x, true, 8, o);
  std::vector<std::string> names;
  for (Param* p : seq.params()) names.push_back(p->name);
  EXPECT_EQ(names, (std::vector<std::string>{"enc.conv.weight", "enc.conv.bias", "enc.bn.weight",
                                             "enc.bn.bias", "enc.act.weight", "enc.fc.weight",
                                             "enc.fc.bias"}));
  EXPECT_EQ(seq.buffers().size(), 2u);
}

TEST(ShapeOps, ConcatSplitAndEnergyChannel) {
  Tensor a = random_tensor({2, 2, 3}, 1), b = random_tensor({2, 1, 3}, 2);
  Tensor c = concat_channels(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 3, 3}));
  for (int bb = 0; bb < 2; ++bb)
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(c.data()[(bb * 3 + 1) * 3 + s], a.data()[(bb * 2 + 1) * 3 + s]);
      EXPECT_EQ(c.data()[(bb * 3 + 2) * 3 + s], b.data()[bb * 3 + s]);
    }
  auto [ga, gb] = split_channels(c, 2);
  EXPECT_EQ(ga.to_vector(), a.to_vector());
  EXPECT_EQ(gb.to_vector(), b.to_vector());
  Tensor e = Tensor::from_host({2, 1}, std::vector<float>{5.0f, -1.0f});
  Tensor x = random_tensor({2, 2, 2, 2, 2}, 3);
  Tensor xe = append_energy_channel(x, e);
  ASSERT_EQ(xe.shape(), (Shape{2, 3, 2, 2, 2}));
  for (int s = 0; s < 8; ++s) {
    EXPECT_EQ(xe.data()[2 * 8 + s], 5.0f);
    EXPECT_EQ(xe.data()[(3 + 2) * 8 + s], -1.0f);
  }
  // Backward of L = sum(xe * R): grad_e[b] = sum of R over the energy channel.
  Tensor R = random_tensor(xe.shape(), 4);
  auto [gx, ge] = append_energy_channel_backward(R);
  ASSERT_EQ(ge.shape(), (Shape{2, 1}));
  double want = 0;
  for (int s = 0; s < 8; ++s) want += R.data()[(3 + 2) * 8 + s];
  EXPECT_NEAR(ge.data()[1], want, 1e-5);
  EXPECT_EQ(gx.data()[8], R.data()[8]);
  EXPECT_THROW(concat_channels(a, random_tensor({2, 1, 4}, 5)), InputError);
  Reshape r({2, 3});
  Tensor flat = random_tensor({2, 6}, 6);
  EXPECT_EQ(r.forward(flat, true).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(r.backward(r.forward(flat, true)).shape(), (Shape{2, 6}));
}

TEST(Gumbel, TrainingGradientAndEvalBernoulli) {
  Tensor l = random_tensor({2, 50}, 1, -2.0f, 2.0f);
  Tensor y = gumbel_sigmoid_forward(l, 4.0f, true, 77, 3);
  Tensor y2 = gumbel_sigmoid_forward(l, 4.0f, true, 77, 3);
  EXPECT_EQ(y.to_vector(), y2.to_vector());  // Philox-addressed
  // Finite differences through the same noise.
  Tensor R = random_tensor(y.shape(), 2);
  Tensor g = gumbel_sigmoid_backward(R, y, 4.0f);
  for (int64_t i = 0; i < l.numel(); i += 7) {
    const float keep = l.data()[i];
    l.data()[i] = keep + 1e-3f;
    const double yp = gumbel_sigmoid_forward(l, 4.0f, true, 77, 3).data()[i];
    l.data()[i] = keep - 1e-3f;
    const double ym = gumbel_sigmoid_forward(l, 4.0f, true, 77, 3).data()[i];
    l.data()[i] = keep;
    EXPECT_NEAR(g.data()[i], R.data()[i] * (yp - ym) / 2e-3, 2e-3 + 1e-2 * std::fabs(g.data()[i]));
  }
  // Eval: exact Bernoulli(sigmoid(l)); the hit frequency over many offsets matches.
  const int n = 20000;
  Tensor logit({1, n});
  logit.fill(0.8f);
  Tensor z = gumbel_sigmoid_forward(logit, 1.0f, false, 5, 0);
  double mean = 0;
  for (float v : z.to_vector()) {
    ASSERT_TRUE(v == 0.0f || v == 1.0f);
    mean += v;
  }
  mean /= n;
  const double p = 1.0 / (1.0 + std::exp(-0.8));
  EXPECT_NEAR(mean, p, 4.0 * std::sqrt(p * (1 - p) / n));
}

TEST(Losses, WeightedMseAndBce) {
  Tensor u = Tensor::from_host({2, 2}, std::vector<float>{0.0f, 0.5f, 1.0f, 0.2f});
  Tensor uh = Tensor::from_host({2, 2}, std::vector<float>{0.1f, 0.4f, 0.7f, 0.2f});
  LossResult r = weighted_mse_u(u, uh, 3.0f, 2.0f);
  const double want = 3.0 * (0.01 * 1.0 + 0.01 * std::exp(1.0) + 0.09 * std::exp(2.0) + 0.0) / 2.0;
  EXPECT_NEAR(r.value, want, 1e-5);
  for (int i = 0; i < 4; ++i) {
    const float keep = uh.data()[i];
    uh.data()[i] = keep + 1e-3f;
    const double lp = weighted_mse_u(u, uh, 3.0f, 2.0f).value;
    uh.data()[i] = keep - 1e-3f;
    const double lm = weighted_mse_u(u, uh, 3.0f, 2.0f).value;
    uh.data()[i] = keep;
    EXPECT_NEAR(r.grad.data()[i], (lp - lm) / 2e-3, 2e-3);
  }
  Tensor x = Tensor::from_host({2, 2}, std::vector<float>{-1.0f, 2.0f, 0.0f, 30.0f});
  Tensor t = Tensor::from_host({2, 2}, std::vector<float>{0.0f, 1.0f, 1.0f, 0.0f});
  LossResult b = bce_with_logits(x, t);
  const double bwant =
      (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-2.0)) + std::log(2.0) + 30.0) / 2.0;
  EXPECT_NEAR(b.value, bwant, 1e-5);
  for (int i = 0; i < 4; ++i) {
    const double s = 1.0 / (1.0 + std::exp(-x.data()[i]));
    EXPECT_NEAR(b.grad.data()[i], (s - t.data()[i]) / 2.0, 1e-6);
  }
}

TEST(Combine, TrainMaskAndEvalBernoulli) {
  Tensor acts = Tensor::from_host({1, 4}, std::vector<float>{-1.0f, 2.0f, 3.0f, -4.0f});
  Tensor u = Tensor::from_host({1, 4}, std::vector<float>{0.5f, 0.0f, 0.3f, 0.1f});
  EXPECT_EQ(combine_train(acts, u, 0.1f).to_vector(),
            (std::vector<float>{-0.1f, 0.0f, 3.0f, -0.4f}));
  Tensor g = Tensor::from_host({1, 4}, std::vector<float>{1.0f, 1.0f, 1.0f, 2.0f});
  EXPECT_EQ(combine_train_backward(g, acts, u, 0.1f).to_vector(),
            (std::vector<float>{0.1f, 0.0f, 1.0f, 0.2f}));
  const int n = 20000;
  Tensor a({1, n}), h({1, n});
  a.fill(2.0f);
  h.fill(-0.5f);
  Tensor y = combine_eval(a, h, 9, 1);
  double hits = 0;
  for (float v : y.to_vector()) {
    ASSERT_TRUE(v == 0.0f || v == 2.0f);
    hits += v / 2.0f;
  }
  const double p = 1.0 / (1.0 + std::exp(0.5));
  EXPECT_NEAR(hits / n, p, 4.0 * std::sqrt(p * (1 - p) / n));
  a.fill(-1.0f);
  for (float v : combine_eval(a, h, 9, 1).to_vector()) ASSERT_EQ(v, 0.0f);  // ReLU
}

// The generation draw is skipped where the energy head is not positive; the value must be the one
// combine_eval_f gives with the voxel's draw, NaN and signed zeros included.
TEST(Combine, EvalAtIndexEqualsTheDrawnFormula) {
  const float acts[] = {-1.0f, -0.0f, 0.0f, 1e-30f, 0.5f, 3.0f, NAN, INFINITY, -INFINITY};
  for (uint64_t i = 0; i < 2000; ++i) {
    const float a = acts[i % 9], logit = 8.0f * (uniform(5, 3, i) - 0.5f);
    const float want = combine_eval_f(a, logit, uniform(9, 2, i + 40));
    const float got = combine_eval_at(a, logit, 9, 2, i + 40);
    ASSERT_TRUE(got == want || (std::isnan(got) && std::isnan(want))) << i << " " << a;
  }
}

// Sequential fuses BatchNorm + PReLU in inference (host/nn/fused_eval.hpp): bit for bit the
// layer-by-layer result, for per-channel and shared slopes; training keeps the layers apart.
TEST(FusedEval, BatchNormPreluEqualsTheLayersBitForBit) {
  for (int slopes : {3, 1}) {
    Sequential seq("s");
    seq.emplace<Linear>(5, 3 * 8, 4, true, "fc");
    seq.emplace<Reshape>(Shape{3, 2, 4}, "reshape");
    auto& bn = seq.emplace<BatchNorm>(3, 1e-5f, 0.1f, "bn");
    auto& act = seq.emplace<PReLU>(slopes, 0.02f, "act");
    Tensor x = random_tensor({6, 5}, 21);
    seq.forward(x, true);  // running statistics away from (0, 1)
    for (int64_t c = 0; c < act.weight().value.numel(); ++c)
      act.weight().value.data()[c] = 0.1f * float(c + 1);
    bn.gamma().value.data()[1] = -1.7f;
    seq.set_inference(true);
    const std::vector<float> fused = seq.forward(x, false).to_vector();
    Tensor y = seq.at(0).forward(x, false);
    for (size_t i = 1; i < seq.size(); ++i) y = seq.at(i).forward(y, false);
    const std::vector<float> layers = y.to_vector();
    ASSERT_EQ(fused.size(), layers.size());
    size_t negative = 0;
    for (size_t i = 0; i < fused.size(); ++i) {
      ASSERT_EQ(fused[i], layers[i]) << "value " << i << " slopes " << slopes;
      negative += fused[i] < 0.0f;
    }
    EXPECT_GT(negative, 0u);  // the slope branch ran
  }
}

// PyTorch Adam reference computed by hand for two steps.
TEST(Adam, MatchesReferenceAndResumesExactly) {
  auto make = [] {
    Param p{"w", Tensor::from_host({2}, std::vector<float>{1.0f, -2.0f}), Tensor({2}), true};
    return p;
  };
  Param p = make();
  Adam adam(AdamOptions{0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, false});
  std::vector<Param*> ps{&p};
  const float g1[2] = {0.5f, -1.0f}, g2[2] = {0.2f, 0.3f};
  double pw[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
  for (int t = 1; t <= 2; ++t) {
    for (int i = 0; i < 2; ++i) {
      p.grad.data()[i] = t == 1 ? g1[i] : g2[i];
      const double g = (t == 1 ? g1[i] : g2[i]) + 0.01 * pw[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      pw[i] -= 0.1 * (m[i] / (1 - std::pow(0.9, t))) /
               (std::sqrt(v[i] / (1 - std::pow(0.999, t))) + 1e-8);
    }
    adam.step(ps);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(p.value.data()[i], pw[i], 1e-6) << t;
  }
  // Save, continue one step; restore into a fresh optimiser, same step -> bitwise equal.
  auto state = adam.state();
  Param q = make();
  q.value = p.value.clone();
  p.grad.fill(0.7f);
  adam.step(ps);
  Adam resumed(AdamOptions{0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, false});
  resumed.load_state(state);
  EXPECT_EQ(resumed.steps(), 2);
  q.grad.fill(0.7f);
  std::vector<Param*> qs{&q};
  resumed.step(qs);
  EXPECT_EQ(p.value.to_vector(), q.value.to_vector());
  Adam::zero_grad(ps);
  EXPECT_EQ(p.grad.to_vector(), (std::vector<float>{0.0f, 0.0f}));
  EXPECT_THROW(resumed.load_state({{"bogus", {1.0f}}}), InputError);
}

TEST(Adam, DecoupledWeightDecay) {
  Param p{"w", Tensor::from_host({1}, std::vector<float>{2.0f}), Tensor({1}), true};
  Adam adam(AdamOptions{0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, true});
  std::vector<Param*> ps{&p};
  p.grad.fill(1.0f);
  adam.step(ps);
  // AdamW: p = p (1 - lr wd) - lr * mhat / (sqrt(vhat) + eps) = 2 * 0.95 - 0.1.
  EXPECT_NEAR(p.value.data()[0], 1.8f, 1e-6);
}

}  // namespace
}  // namespace calo::nn
