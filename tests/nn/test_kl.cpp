// KL terms of the loss (research/caloqvae.md section 5): pos_energy equals the RBM energy formula
// written out by hand (no partition-0 bias), entropy equals its closed form, and the gradient of
// entropy + pos_energy reaches the logits through the Gumbel relaxation (finite differences on
// kl_terms and on a whole tiny model).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "host/backend.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/gumbel.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/model.hpp"
#include "host/topology/graph.hpp"
#include "kernels/nn/kl_math.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"
#include "samplers/rbm.hpp"
#include "tests/nn/test_layer_util.hpp"

namespace calo::nn {
namespace {

Rbm tiny_rbm(int n, float w_std, uint64_t seed) {
  Rbm r = Rbm::from_graph(parse_topology("zephyr:2,2"), n);
  r.init_random(seed, {w_std, w_std, w_std, w_std, w_std, w_std}, 0.5f);
  return r;
}

// E_cond written out term by term: -sum_{p>=1} b_p.z_p - sum_{p<q} sum_ij z_p[i] W_pq[i][j] z_q[j].
double energy_by_hand(const Rbm& rbm, const std::vector<double>& z4) {
  const int n = rbm.n();
  double e = 0.0;
  for (int p = 1; p < 4; ++p)
    for (int i = 0; i < n; ++i) e -= rbm.bias(p)[size_t(i)] * z4[size_t(p * n + i)];
  for (int p = 0; p < 4; ++p)
    for (int q = p + 1; q < 4; ++q)
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          e -= z4[size_t(p * n + i)] * rbm.weights(p, q)[size_t(i * n + j)] * z4[size_t(q * n + j)];
  return e;
}

TEST(KlTerms, PosEnergyEqualsTheRbmEnergyFormula) {
  const int n = 4, B = 3;
  Rbm rbm = tiny_rbm(n, 0.7f, 5);
  int nonzero = 0;
  for (const auto& [p, q] : kRbmPairs)
    for (float w : rbm.weights(p, q)) nonzero += w != 0.0f;
  ASSERT_GT(nonzero, 10) << "the test graph should couple the partitions";
  // Handmade states: row 0 all ones, row 1 alternating, row 2 relaxed values in (0, 1).
  std::vector<float> code(size_t(B * n)), z(size_t(B * 3 * n)), logits(size_t(B * 3 * n), 0.3f);
  for (int i = 0; i < n; ++i) {
    code[size_t(i)] = 1.0f;
    code[size_t(n + i)] = float(i % 2);
    code[size_t(2 * n + i)] = float((i + 1) % 2);
  }
  for (int i = 0; i < 3 * n; ++i) {
    z[size_t(i)] = 1.0f;
    z[size_t(3 * n + i)] = float((i / 2) % 2);
    z[size_t(6 * n + i)] = 0.05f + 0.9f * float(i) / float(3 * n);
  }
  double mean = 0.0;
  for (int b = 0; b < B; ++b) {
    std::vector<double> z4(size_t(4 * n));
    for (int i = 0; i < n; ++i) z4[size_t(i)] = code[size_t(b * n + i)];
    for (int i = 0; i < 3 * n; ++i) z4[size_t(n + i)] = z[size_t(b * 3 * n + i)];
    const double hand = energy_by_hand(rbm, z4);
    EXPECT_NEAR(conditional_energy(rbm, code.data() + b * n, z.data() + b * 3 * n), hand,
                1e-5 * (1.0 + std::fabs(hand)))
        << "row " << b;
    if (b < 2) {  // binary rows: the Rbm's own energy, minus its partition-0 bias term
      std::vector<uint8_t> zb(size_t(4 * n));
      double b0 = 0.0;
      for (int i = 0; i < 4 * n; ++i) zb[size_t(i)] = uint8_t(z4[size_t(i)]);
      for (int i = 0; i < n; ++i) b0 += rbm.bias(0)[size_t(i)] * z4[size_t(i)];
      EXPECT_NEAR(rbm.energy_conditional(zb.data()), hand, 1e-5 * (1.0 + std::fabs(hand)));
      EXPECT_NEAR(rbm.energy(zb.data()) + b0, hand, 1e-5 * (1.0 + std::fabs(hand)));
    }
    mean += hand / B;
  }
  const KlResult kl = kl_terms(rbm, code, logits, z, B, false);
  EXPECT_NEAR(kl.pos_energy, mean, 1e-5 * (1.0 + std::fabs(mean)));
  EXPECT_TRUE(kl.grad_z.empty());
  // Entropy closed form with l = 0.3 everywhere.
  double ent = 0.0;
  const double s = 1.0 / (1.0 + std::exp(-0.3));
  for (float zi : z) ent += zi * std::log(s) + (1.0 - zi) * std::log(1.0 - s);
  EXPECT_NEAR(kl.entropy, ent / B, 1e-9 * (1.0 + std::fabs(ent)));
  // The partition-0 bias does not enter (partition 0 is clamped).
  for (float& b0 : rbm.bias(0)) b0 += 3.0f;
  EXPECT_EQ(kl_terms(rbm, code, logits, z, B, false).pos_energy, kl.pos_energy);
  // Any other bias does.
  rbm.bias(2)[0] += 1.0f;
  EXPECT_NE(kl_terms(rbm, code, logits, z, B, false).pos_energy, kl.pos_energy);
}

// d(entropy + pos_energy)/d logits through z = Gumbel-sigmoid(l) (fixed noise): the direct logit
// gradient plus the z gradient chained through the relaxation, against central differences.
TEST(KlTerms, GradientThroughGumbelMatchesFiniteDifferences) {
  const int n = 4, B = 3;
  const float beta = 2.0f, scale = 0.7f;
  const Rbm rbm = tiny_rbm(n, 0.8f, 9);
  std::vector<float> code(size_t(B * n));
  for (int i = 0; i < B * n; ++i) code[size_t(i)] = float((i * 7 + 3) % 3 == 0);
  Tensor l = testing::random_tensor({B, 3 * n}, 21, -2.0f, 2.0f);
  auto kl_of = [&](const Tensor& logits, bool grads) {
    const Tensor z = gumbel_sigmoid_forward(logits, beta, true, 4, 1000, 0);
    return std::make_pair(kl_terms(rbm, code, logits.to_vector(), z.to_vector(), B, grads, scale),
                          z.clone());
  };
  auto [kl, z] = kl_of(l, true);
  const Tensor gz = Tensor::from_host({B, 3 * n}, kl.grad_z);
  const std::vector<float> chained = gumbel_sigmoid_backward(gz, z, beta).to_vector();
  const float eps = 1e-3f;
  int checked = 0;
  for (int64_t i = 0; i < l.numel(); ++i) {
    const float keep = l.data()[i];
    l.data()[i] = keep + eps;
    const auto [kp, zp] = kl_of(l, false);
    l.data()[i] = keep - eps;
    const auto [km, zm] = kl_of(l, false);
    l.data()[i] = keep;
    const double fd =
        scale * ((kp.entropy + kp.pos_energy) - (km.entropy + km.pos_energy)) / (2.0 * eps);
    const double an = double(kl.grad_logits[size_t(i)]) + chained[size_t(i)];
    EXPECT_NEAR(an, fd, 2e-3 + 1e-2 * std::fabs(fd)) << "logit " << i;
    ++checked;
  }
  EXPECT_EQ(checked, B * 3 * n);
}

// The KL gradient of a whole tiny model: the difference of the parameter gradients with
// kl_weight = 1 and kl_weight = 0 is d(entropy + pos_energy)/d theta (the reconstruction part is
// the same computation in both), checked against central differences of the KL terms the model
// reports. Decoder parameters get no KL gradient at all.
TEST(KlTerms, ModelGradientMatchesFiniteDifferences) {
  ModelConfig mc;
  mc.n = 4;
  mc.enc_channels = {2, 2, 2, 2};
  mc.dec_channels = {2, 2, 2};
  mc.seed = 3;
  Calo4pQVAE model(mc);
  // PReLU slopes 1 make the encoder smooth: with BatchNorm every conv weight moves all positions of
  // a channel, and +-eps would cross PReLU kinks somewhere (the layers' own gradient tests cover
  // the kinks).
  for (Param* p : model.params())
    if (p->name.find(".act") != std::string::npos) p->value.fill(1.0f);
  const Rbm rbm = tiny_rbm(mc.n, 0.8f, 13);
  const int B = 2;
  Tensor u({B, kVoxels});
  for (int64_t i = 0; i < u.numel(); ++i) {
    const float r = uniform(17, 3, uint64_t(i));
    u.data()[i] = r < 0.3f ? 0.0f : r;  // transformed-voxel scale, about 30% empty
  }
  const std::vector<float> e = {2000.0f, 35000.0f};
  StepSchedule s;
  s.beta = 2.0f;
  s.slope = 0.02f;
  s.seed = 5;
  s.step = 3;
  const auto params = model.params();
  auto grads = [&](float w) {
    StepSchedule sw = s;
    sw.kl_weight = w;
    Adam::zero_grad(params);
    const LossTerms t = model.train_step(u, e, sw, true, &rbm);
    std::map<std::string, std::vector<float>> g;
    for (Param* p : params) g[p->name] = p->grad.to_vector();
    return std::make_pair(t, g);
  };
  const auto [t1, g1] = grads(1.0f);
  const auto [t0, g0] = grads(0.0f);
  EXPECT_EQ(t1.mse, t0.mse);
  EXPECT_EQ(t1.entropy, t0.entropy);
  EXPECT_LT(t1.entropy, 0.0);  // E_q ln q of Bernoulli latents
  EXPECT_DOUBLE_EQ(t1.total(), t1.mse + t1.bce + t1.entropy + t1.pos_energy);
  auto kl_at = [&]() {
    const LossTerms t = model.train_step(u, e, s, true, &rbm, false);
    return t.entropy + t.pos_energy;
  };
  const float eps = 1e-3f;
  int checked = 0, nonzero = 0;
  for (Param* p : params) {
    const std::vector<float>& a = g1.at(p->name);
    const std::vector<float>& b = g0.at(p->name);
    const bool decoder = p->name.rfind("decoder.", 0) == 0;
    if (decoder) {
      EXPECT_EQ(a, b) << p->name << ": the KL terms do not depend on the decoder";
      continue;
    }
    // A conv bias moves every position of a channel at once, so +-eps crosses LeakyReLU kinks
    // somewhere and central differences are off by a few percent; weights and heads are smooth.
    if (p->name.find(".conv") != std::string::npos && p->name.find(".bias") != std::string::npos)
      continue;
    const int64_t step = std::max<int64_t>(1, p->value.numel() / 12);
    for (int64_t i = 0; i < p->value.numel(); i += step) {
      float* v = p->value.data() + i;
      const float keep = *v;
      *v = keep + eps;
      const double kp = kl_at();
      *v = keep - eps;
      const double km = kl_at();
      *v = keep;
      const double fd = (kp - km) / (2.0 * eps);
      const double an = double(a[size_t(i)]) - double(b[size_t(i)]);
      EXPECT_NEAR(an, fd, 3e-3 + 2e-2 * std::fabs(fd)) << p->name << "[" << i << "]";
      ++checked;
      nonzero += std::fabs(fd) > 1e-2;
    }
  }
  EXPECT_GT(checked, 40);
  EXPECT_GT(nonzero, checked / 4) << "the KL gradient should not be trivially zero";
}

// The per-unit functions both paths call (kernels/nn/kl_math.hpp): their gradients are the
// derivatives of their values.
TEST(KlTerms, SharedUnitGradientsAreTheDerivatives) {
  const double s = 0.7, h = 1e-3;
  for (const float l : {-3.0f, -0.4f, 0.0f, 1.3f, 6.0f})
    for (const float z : {0.0f, 0.25f, 0.9f, 1.0f}) {
      float gl = 0, gz = 0;
      kl_entropy_unit(l, z, s, &gl, &gz);
      // at fixed z: d/dl of [z ln sigma(l) + (1-z) ln(1-sigma(l))] = z - sigma(l)
      const double dl = (kl_entropy_unit(float(l + h), z, 1.0, nullptr, nullptr) -
                         kl_entropy_unit(float(l - h), z, 1.0, nullptr, nullptr)) /
                        (2 * h);
      EXPECT_NEAR(gl, s * dl, 1e-4) << l << " " << z;
      EXPECT_FLOAT_EQ(gz, float(s * l));
    }
  for (const float f : {-2.0f, 0.0f, 1.5f})
    for (const float b : {-0.5f, 0.0f, 0.8f}) {
      float g = 0.25f;  // added to
      const double e = kl_energy_unit(0.6f, f, b, s, &g);
      EXPECT_NEAR(e, -0.5 * 0.6 * f - b * 0.6, 1e-6);
      EXPECT_NEAR(g, 0.25 + s * (-b - f), 1e-6);
    }
}

struct KlCase {
  Rbm rbm;
  int64_t B = 5;
  std::vector<float> code, logits, z;  // (B, n), (B, 3n), (B, 3n)
  KlCase() : rbm(tiny_rbm(6, 0.6f, 9)) {
    const int n = rbm.n();
    for (int64_t i = 0; i < B * n; ++i) code.push_back(float(uniform(3, 0, uint64_t(i)) < 0.5));
    for (int64_t i = 0; i < B * 3 * n; ++i) {
      logits.push_back(4.0f * uniform(3, 1, uint64_t(i)) - 2.0f);
      z.push_back(uniform(3, 2, uint64_t(i)));
    }
  }
  // Partition k+1's block of a (B, 3n) array as a (B, n) tensor on `where`.
  Tensor part(const std::vector<float>& v, int k, Backend where) const {
    const int64_t n = rbm.n();
    std::vector<float> out(size_t(B * n));
    for (int64_t b = 0; b < B; ++b) std::copy_n(v.data() + (b * 3 + k) * n, n, out.data() + b * n);
    return Tensor::from_host({B, n}, out).to(where);
  }
  // The tensor version on `where` against the span version (the CPU reference).
  void check(Backend where, double tol) const {
    const int64_t n = rbm.n();
    const KlResult ref = kl_terms(rbm, code, logits, z, B, true, 0.8f);
    std::array<Tensor, 3> l, q;
    for (int k = 0; k < 3; ++k) {
      l[size_t(k)] = part(logits, k, where);
      q[size_t(k)] = part(z, k, where);
    }
    const Tensor c = Tensor::from_host({B, n}, code).to(where);
    const KlTensors got = kl_terms(rbm, c, l, q, true, 0.8f);
    EXPECT_NEAR(got.entropy, ref.entropy, 1e-12 * (1 + std::fabs(ref.entropy)));
    EXPECT_NEAR(got.pos_energy, ref.pos_energy, 1e-12 * (1 + std::fabs(ref.pos_energy)));
    for (int k = 0; k < 3; ++k) {
      const std::vector<float> gl = got.grad_logits[size_t(k)].to_vector(),
                               gz = got.grad_z[size_t(k)].to_vector();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < n; ++i) {
          const size_t r = size_t((b * 3 + k) * n + i), t = size_t(b * n + i);
          EXPECT_NEAR(gl[t], ref.grad_logits[r], tol * (1 + std::fabs(ref.grad_logits[r])));
          EXPECT_NEAR(gz[t], ref.grad_z[r], tol * (1 + std::fabs(ref.grad_z[r])));
        }
    }
    EXPECT_NE(ref.pos_energy, 0.0);
  }
};

// The tensor version (what the CUDA step runs) on the host equals the span version: same shared
// functions, same GEMMs, so the gradients are bit-equal.
TEST(KlTerms, TensorVersionEqualsSpanVersion) {
  KlCase().check(Backend::cpu, 0.0);
}

TEST(KlTerms, CudaMatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  KlCase().check(Backend::cuda, 1e-5);  // cuBLAS may sum the couplings in another order
}

}  // namespace
}  // namespace calo::nn
