// LinearAttention (the reference decoder's energy-head attention): forward against a direct
// double-precision evaluation of the formula, finite-difference gradients for the input and every
// parameter, the model option, and CUDA == CPU where a GPU exists.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/attention.hpp"
#include "host/nn/model.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/nn/attention_math.hpp"
#include "tests/nn/test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::grad_check;
using testing::random_tensor;

// Direct evaluation of the reference LinearAttention (heads 1, dim_head 32) + to_out + GroupNorm.
std::vector<double> reference_forward(LinearAttention& layer, const Tensor& x) {
  const auto ps = layer.params();  // to_qkv.weight, to_out.weight, to_out.bias, norm.weight/.bias
  EXPECT_EQ(ps.size(), 5u);
  const std::vector<float> wqkv = ps[0]->value.to_vector(), wout = ps[1]->value.to_vector(),
                           bout = ps[2]->value.to_vector(), gam = ps[3]->value.to_vector(),
                           bet = ps[4]->value.to_vector();
  const int64_t B = x.dim(0), C = x.dim(1), S = x.numel() / (B * C), E = 32;
  std::vector<double> y(size_t(x.numel()));
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> qkv(size_t(3 * E * S), 0.0);
    for (int64_t o = 0; o < 3 * E; ++o)
      for (int64_t n = 0; n < S; ++n)
        for (int64_t c = 0; c < C; ++c)
          qkv[size_t(o * S + n)] += wqkv[size_t(o * C + c)] * x.data()[(b * C + c) * S + n];
    auto q = [&](int64_t d, int64_t n) -> double& { return qkv[size_t(d * S + n)]; };
    auto k = [&](int64_t d, int64_t n) -> double& { return qkv[size_t((E + d) * S + n)]; };
    auto v = [&](int64_t d, int64_t n) -> double& { return qkv[size_t((2 * E + d) * S + n)]; };
    for (int64_t n = 0; n < S; ++n) {  // softmax over channels, then * 32^-1/2
      double z = 0.0;
      for (int64_t d = 0; d < E; ++d) z += std::exp(q(d, n));
      for (int64_t d = 0; d < E; ++d) q(d, n) = std::exp(q(d, n)) / z / std::sqrt(32.0);
    }
    for (int64_t d = 0; d < E; ++d) {  // softmax over positions
      double z = 0.0;
      for (int64_t n = 0; n < S; ++n) z += std::exp(k(d, n));
      for (int64_t n = 0; n < S; ++n) k(d, n) = std::exp(k(d, n)) / z;
    }
    std::vector<double> ctx(size_t(E * E), 0.0), out(size_t(E * S), 0.0), h(size_t(C * S), 0.0);
    for (int64_t d = 0; d < E; ++d)
      for (int64_t e = 0; e < E; ++e)
        for (int64_t n = 0; n < S; ++n) ctx[size_t(d * E + e)] += k(d, n) * v(e, n);
    for (int64_t e = 0; e < E; ++e)
      for (int64_t n = 0; n < S; ++n)
        for (int64_t d = 0; d < E; ++d) out[size_t(e * S + n)] += ctx[size_t(d * E + e)] * q(d, n);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t n = 0; n < S; ++n) {
        double acc = bout[size_t(c)];
        for (int64_t e = 0; e < E; ++e) acc += wout[size_t(c * E + e)] * out[size_t(e * S + n)];
        h[size_t(c * S + n)] = acc;
      }
    double mean = 0.0, var = 0.0;
    for (double t : h) mean += t / double(h.size());
    for (double t : h) var += (t - mean) * (t - mean) / double(h.size());
    for (int64_t c = 0; c < C; ++c)
      for (int64_t n = 0; n < S; ++n)
        y[size_t((b * C + c) * S + n)] =
            gam[size_t(c)] * (h[size_t(c * S + n)] - mean) / std::sqrt(var + 1e-5) + bet[size_t(c)];
  }
  return y;
}

void randomize_affine(LinearAttention& layer) {
  // Non-trivial GroupNorm affine so that its gradients are exercised too.
  for (Param* p : layer.params())
    if (p->name.find(".norm.") != std::string::npos)
      p->value = random_tensor(p->value.shape(), p->name.size(), 0.5f, 1.5f);
}

// The shared slice map (the CPU loop and the CUDA kernel both walk t < B (S + E)): every q and
// k element belongs to exactly one slice, no v element to any.
TEST(AttentionMath, SlicesCoverQAndKOnceAndLeaveV) {
  const int64_t B = 3, S = 7, E = 5;
  std::vector<int> hits(size_t(B * 3 * E * S), 0);
  for (int64_t t = 0; t < B * (S + E); ++t) {
    const AttentionSlice s = attention_slice(t, S, E, 0.25f);
    EXPECT_EQ(s.count, s.stride == 1 ? S : E) << t;
    EXPECT_EQ(s.scale, s.stride == 1 ? 1.0f : 0.25f) << t;
    for (int64_t i = 0; i < s.count; ++i) ++hits[size_t(s.offset + i * s.stride)];
  }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t r = 0; r < 3 * E; ++r)
      for (int64_t n = 0; n < S; ++n)
        EXPECT_EQ(hits[size_t((b * 3 * E + r) * S + n)], r < 2 * E ? 1 : 0) << b << " " << r;
}

// attention_softmax against a double softmax per slice, attention_softmax_backward against
// central differences of sum(g * y) in double.
TEST(AttentionMath, SoftmaxAndItsBackwardMatchReferences) {
  const int64_t B = 2, S = 6, E = 4;
  const float scale = 0.5f;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> U(-3.0f, 3.0f);
  std::vector<float> x(size_t(B * 3 * E * S)), g(x.size());
  for (float& v : x) v = U(rng);
  for (float& v : g) v = U(rng);
  std::vector<float> y = x;
  for (int64_t t = 0; t < B * (S + E); ++t) attention_softmax(y.data(), t, S, E, scale);
  std::vector<float> gx = g;
  for (int64_t t = 0; t < B * (S + E); ++t)
    attention_softmax_backward(y.data(), gx.data(), t, S, E, scale);
  for (int64_t t = 0; t < B * (S + E); ++t) {
    const AttentionSlice s = attention_slice(t, S, E, scale);
    auto at = [&](int64_t i) { return size_t(s.offset + i * s.stride); };
    // sum_j g_j * s.scale * softmax(x + h e_i)_j in double
    auto objective = [&](int64_t i, double h) {
      double z = 0.0, acc = 0.0;
      for (int64_t j = 0; j < s.count; ++j) z += std::exp(double(x[at(j)]) + (j == i ? h : 0.0));
      for (int64_t j = 0; j < s.count; ++j)
        acc += g[at(j)] * s.scale * std::exp(double(x[at(j)]) + (j == i ? h : 0.0)) / z;
      return acc;
    };
    double z = 0.0;
    for (int64_t j = 0; j < s.count; ++j) z += std::exp(double(x[at(j)]));
    for (int64_t i = 0; i < s.count; ++i) {
      EXPECT_NEAR(y[at(i)], s.scale * std::exp(double(x[at(i)])) / z, 1e-6) << t << " " << i;
      const double fd = (objective(i, 1e-5) - objective(i, -1e-5)) / 2e-5;
      EXPECT_NEAR(gx[at(i)], fd, 1e-4 * (1.0 + std::fabs(fd))) << t << " " << i;
    }
  }
  for (int64_t b = 0; b < B; ++b)  // v and its gradient are left alone
    for (int64_t i = 2 * E * S; i < 3 * E * S; ++i) {
      EXPECT_EQ(y[size_t(b * 3 * E * S + i)], x[size_t(b * 3 * E * S + i)]);
      EXPECT_EQ(gx[size_t(b * 3 * E * S + i)], g[size_t(b * 3 * E * S + i)]);
    }
}

TEST(LinearAttention, ForwardMatchesTheFormula) {
  LinearAttention layer(3, 41, "attn");
  randomize_affine(layer);
  const Tensor x = random_tensor({2, 3, 4, 3, 2}, 42, -2.0f, 2.0f);
  const Tensor y = layer.forward(x, true);
  ASSERT_EQ(y.shape(), x.shape());
  const std::vector<double> ref = reference_forward(layer, x);
  for (int64_t i = 0; i < y.numel(); ++i)
    EXPECT_NEAR(y.data()[i], ref[size_t(i)], 1e-4 * (1.0 + std::fabs(ref[size_t(i)]))) << i;
  std::vector<std::string> names;
  for (Param* p : layer.params()) names.push_back(p->name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"attn.to_qkv.weight", "attn.to_out.weight",
                                      "attn.to_out.bias", "attn.norm.weight", "attn.norm.bias"}));
  EXPECT_EQ(layer.params()[0]->value.shape(), (Shape{96, 3, 1, 1, 1}));
  EXPECT_THROW(layer.forward(random_tensor({2, 4, 4, 3, 2}, 1), true), InputError);
}

TEST(LinearAttention, GradientsMatchFiniteDifferences) {
  LinearAttention layer(3, 43, "attn");
  randomize_affine(layer);
  Tensor x = random_tensor({2, 3, 3, 2, 2}, 44, -2.0f, 2.0f);
  testing::GradCheckOptions o;
  o.eps = 5e-3f;
  grad_check(layer, x, true, 45, o);
}

TEST(LinearAttention, ModelOptionAddsTheEnergyBranch) {
  ModelConfig mc;
  mc.n = 4;
  mc.enc_channels = {2, 2, 2, 2};
  mc.dec_channels = {2, 2, 2};
  mc.decoder_attention = true;
  Calo4pQVAE model(mc);
  int attn = 0;
  for (Param* p : model.params()) attn += p->name.rfind("decoder.energy.attention.", 0) == 0;
  EXPECT_EQ(attn, 5);
  const int B = 2;
  Tensor u = random_tensor({B, kVoxels}, 3, 0.0f, 1.0f);
  const std::vector<float> e = {1000.0f, 50000.0f};
  StepSchedule s;
  s.slope = 0.02f;  // LeakyReLU on the activations: gradient even where acts < 0
  const auto params = model.params();
  Adam::zero_grad(params);
  const LossTerms t = model.train_step(u, e, s, true);
  EXPECT_TRUE(std::isfinite(t.total()));
  for (Param* p : params) {
    if (p->name.rfind("decoder.energy.", 0) != 0) continue;
    double g = 0.0;
    for (float v : p->grad.to_vector()) g += std::fabs(v);
    EXPECT_GT(g, 0.0) << p->name << " gets no gradient";
  }
  std::vector<uint8_t> states(size_t(B * 4 * mc.n), 1);
  EXPECT_EQ(model.decode(states, e, 1, 0).shape(), (Shape{B, kVoxels}));
}

TEST(LinearAttention, CudaMatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  LinearAttention cpu(3, 47, "attn"), gpu(3, 47, "attn");
  gpu.to(Backend::cuda);
  const Tensor x = random_tensor({2, 3, 4, 3, 2}, 48);
  const Tensor R = random_tensor({2, 3, 4, 3, 2}, 49);
  const std::vector<float> yc = cpu.forward(x, true).to_vector();
  const std::vector<float> yg = gpu.forward(x.to(Backend::cuda), true).to_vector();
  const std::vector<float> gc = cpu.backward(R).to_vector();
  const std::vector<float> gg = gpu.backward(R.to(Backend::cuda)).to_vector();
  for (size_t i = 0; i < yc.size(); ++i) EXPECT_NEAR(yc[i], yg[i], 1e-4 * (1 + std::fabs(yc[i])));
  for (size_t i = 0; i < gc.size(); ++i) EXPECT_NEAR(gc[i], gg[i], 1e-4 * (1 + std::fabs(gc[i])));
  for (size_t k = 0; k < cpu.params().size(); ++k) {
    const auto a = cpu.params()[k]->grad.to_vector(), b = gpu.params()[k]->grad.to_vector();
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-3 * (1 + std::fabs(a[i]))) << cpu.params()[k]->name;
  }
}

// The layer on the device: nothing crosses to or from the host (GroupNorm1 fills its per-sample
// unit scale on the device, host/nn/norm.cpp).
TEST(LinearAttention, CudaForwardBackwardStayOnTheDevice) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  LinearAttention gpu(3, 47, "attn");
  gpu.to(Backend::cuda);
  const int64_t B = 4;
  const Tensor x = random_tensor({B, 3, 5, 4, 3}, 50).to(Backend::cuda);
  const Tensor R = random_tensor({B, 3, 5, 4, 3}, 51).to(Backend::cuda);
  const TransferCounts before = transfer_counts();
  const Tensor y = gpu.forward(x, true);
  const Tensor g = gpu.backward(R);
  const TransferCounts t = transfer_counts() - before;
  EXPECT_EQ(t.d2h_calls, 0u);
  EXPECT_EQ(t.h2d_calls, 0u);
  EXPECT_EQ(t.h2d_bytes, 0u);
  EXPECT_EQ(y.backend(), Backend::cuda);
  EXPECT_EQ(g.backend(), Backend::cuda);
}

}  // namespace
}  // namespace calo::nn
