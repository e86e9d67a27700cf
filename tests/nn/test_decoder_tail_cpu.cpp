// The channels-last CPU inference tail (host/nn/decoder_tail_cpu.hpp, conv_channels_last.hpp)
// against the layers' own forward: each kernel against its layer, and the model's decode_heads
// and decode with the tail on and off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "host/nn/activations.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/conv_channels_last.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/model.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/activations.hpp"
#include "kernels/philox.hpp"
#include "test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::random_tensor;

// Channels-first item (C, V) -> rows of ld floats (columns C..ld-1 set to `pad`).
std::vector<float> to_rows(const float* x, int64_t C, int64_t V, int64_t ld, float pad) {
  std::vector<float> r(static_cast<size_t>(V * ld), pad);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t v = 0; v < V; ++v) r[size_t(v * ld + c)] = x[c * V + v];
  return r;
}

void set_uniform(Tensor& t, float lo, float hi, uint64_t seed) {
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data()[i] = lo + (hi - lo) * uniform(seed, 3, static_cast<uint64_t>(i));
}

struct ConvTCase {
  int ci, co;
  Dims3 in, k, s;
  const char* name;
};
void PrintTo(const ConvTCase& c, std::ostream* os) {
  *os << c.name;
}

class ConvTransposeRows : public ::testing::TestWithParam<ConvTCase> {};

TEST_P(ConvTransposeRows, EqualsTheLayerForBothInputLayouts) {
  const ConvTCase p = GetParam();
  ConvTranspose3d layer(p.ci, p.co, p.k, p.s, 5, true, "t");
  set_uniform(layer.bias()->value, -0.5f, 0.5f, 9);
  layer.set_inference(true);
  const Tensor x = random_tensor({1, p.ci, p.in.d, p.in.h, p.in.w}, 2);
  const Tensor want = layer.forward(x, false);
  const cpu::TransposedConvShape sh{p.ci, p.co, p.in, p.k, p.s};
  ASSERT_EQ(want.numel(), sh.co * sh.out_voxels());
  const std::vector<float> Wp = cpu::pack_transposed_weight(sh, layer.weight().value.data());
  const std::vector<float> bias = layer.bias()->value.to_vector();
  std::vector<float> G(size_t(sh.in_voxels() * sh.taps() * sh.co));
  const int64_t ld_y = p.co + 3, ld_x = p.ci + 2;
  const std::vector<float> x_rows = to_rows(x.data(), p.ci, sh.in_voxels(), ld_x, NAN);
  for (bool channels_first : {true, false}) {
    std::vector<float> y(size_t(sh.out_voxels() * ld_y), 7.0f);  // 7: untouched padding
    cpu::conv_transpose_rows(sh, Wp.data(), channels_first ? x.data() : x_rows.data(),
                             channels_first, ld_x, G.data(), y.data(), ld_y);
    for (int64_t v = 0; v < sh.out_voxels(); ++v) {
      for (int64_t c = 0; c < p.co; ++c) {
        const float w = want.data()[c * sh.out_voxels() + v];
        ASSERT_NEAR(y[size_t(v * ld_y + c)] + bias[size_t(c)], w,
                    1e-5f * std::max(1.0f, std::fabs(w)))
            << "voxel " << v << " channel " << c << (channels_first ? " (channels first)" : "");
      }
      for (int64_t c = p.co; c < ld_y; ++c) ASSERT_EQ(y[size_t(v * ld_y + c)], 7.0f);
    }
  }
}

// The decoder's three transposed convs (trunk up0 and the heads' k(4,2,4)) and an odd one.
INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTransposeRows,
    ::testing::Values(ConvTCase{6, 5, {3, 2, 4}, {4, 2, 3}, {2, 2, 1}, "Trunk"},
                      ConvTCase{9, 4, {4, 3, 3}, {4, 2, 4}, {2, 2, 1}, "Head"},
                      ConvTCase{3, 17, {2, 3, 2}, {3, 1, 2}, {1, 3, 2}, "Odd"}),
    [](const ::testing::TestParamInfo<ConvTCase>& c) { return std::string(c.param.name); });

TEST(DecoderTailCpu, BiasBatchNormPreluIsBitwiseTheThreeLayers) {
  const int64_t C = 19, S = 37;
  BatchNorm bn(C, 1e-5f, 0.1f, "bn");
  PReLU act(C, 0.02f, "act");
  set_uniform(bn.running_mean(), -0.3f, 0.3f, 1);
  set_uniform(bn.running_var(), 0.3f, 2.0f, 2);
  set_uniform(bn.gamma().value, 0.5f, 1.5f, 3);
  set_uniform(bn.beta().value, -0.3f, 0.3f, 4);
  set_uniform(act.weight().value, -0.25f, 0.5f, 5);
  bn.set_inference(true);
  act.set_inference(true);
  const Tensor bias = random_tensor({C}, 6), x = random_tensor({1, C, S}, 7, -2.0f, 2.0f);
  Tensor xb = x.clone();
  ops::add_channel_bias(Backend::cpu, xb.data(), bias.data(), 1, C, S);
  const Tensor want = act.forward(bn.forward(xb, false), false);

  cpu::ChannelAffinePrelu p;
  p.bias = bias.to_vector();
  p.mean = bn.running_mean().to_vector();
  for (float v : bn.running_var().to_vector()) p.inv_std.push_back(bn_inv_std(v, bn.eps()));
  p.gamma = bn.gamma().value.to_vector();
  p.beta = bn.beta().value.to_vector();
  p.slope = act.weight().value.to_vector();
  std::vector<float> rows = to_rows(x.data(), C, S, C + 1, 3.0f);
  cpu::bias_bn_prelu_rows(p, rows.data(), S, C + 1);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t c = 0; c < C; ++c)
      ASSERT_EQ(rows[size_t(s * (C + 1) + c)], want.data()[c * S + s]) << s << " " << c;
    ASSERT_EQ(rows[size_t(s * (C + 1) + C)], 3.0f);
  }
}

TEST(DecoderTailCpu, OneChannelConvEqualsConv3d) {
  for (int64_t ci : {int64_t{37}, int64_t{64}, int64_t{5}}) {  // with and without a lane tail
    const Dims3 in{6, 4, 5}, k{2, 1, 2};
    Conv3d conv(static_cast<int>(ci), 1, k, {1, 1, 1}, Padding3d::none, true, 3, "c");
    conv.set_inference(true);
    const Tensor x = random_tensor({1, ci, in.d, in.h, in.w}, 8);
    const Tensor want = conv.forward(x, false);
    const std::vector<float> rows = to_rows(x.data(), ci, int64_t{in.d} * in.h * in.w, ci, 0.0f);
    const std::vector<float> Wf = cpu::pack_one_channel_weight(conv.weight().value.data(), ci, k);
    std::vector<float> y(size_t(want.numel()), NAN);
    cpu::conv_one_channel_rows(rows.data(), ci, ci, in, k, Wf.data(),
                               conv.bias()->value.to_vector()[0], y.data());
    for (int64_t i = 0; i < want.numel(); ++i)
      ASSERT_NEAR(y[size_t(i)], want.data()[i], 1e-5f) << "ci " << ci << " at " << i;
  }
}

// A model with BatchNorm statistics and PReLU slopes away from their initial values, so the tail's
// affine pass is exercised.
void randomise_decoder(Calo4pQVAE& model) {
  uint64_t seed = 20;
  for (Buffer& b : model.buffers()) {
    if (b.name.rfind("decoder.", 0) != 0) continue;
    if (b.name.find("running_mean") != std::string::npos)
      set_uniform(*b.value, -0.3f, 0.3f, ++seed);
    if (b.name.find("running_var") != std::string::npos) set_uniform(*b.value, 0.3f, 2.0f, ++seed);
  }
  for (Param* p : model.params()) {
    if (p->name.rfind("decoder.", 0) != 0 || p->value.rank() != 1) continue;
    set_uniform(p->value, -0.3f, 0.5f, ++seed);  // biases, BatchNorm affine, PReLU slopes
  }
  model.init_output_bias(2.0f, 0.3f);
}

TEST(DecoderTailCpu, DecodeEqualsTheLayersForward) {
  ModelConfig cfg;
  Calo4pQVAE model(cfg);
  randomise_decoder(model);
  const int n = cfg.n;
  const int64_t B = 7;
  std::vector<uint8_t> z(static_cast<size_t>(B * 4 * n));
  std::vector<float> e(static_cast<size_t>(B));
  for (size_t i = 0; i < z.size(); ++i) z[i] = uniform(3, 0, i) < 0.5f ? 1 : 0;
  for (int64_t b = 0; b < B; ++b) e[size_t(b)] = 1e3f * std::pow(1e3f, uniform(4, 0, uint64_t(b)));

  const std::vector<float> heads = model.decode_heads(z, e).to_vector();
  const std::vector<float> u = model.decode(z, e, 5, 0).to_vector();
  model.set_cpu_decoder_tail(false);
  const std::vector<float> heads_ref = model.decode_heads(z, e).to_vector();
  const std::vector<float> u_ref = model.decode(z, e, 5, 0).to_vector();
  ASSERT_EQ(heads.size(), heads_ref.size());
  double scale = 0.0;
  for (float v : heads_ref) scale = std::max(scale, double(std::fabs(v)));
  ASSERT_GT(scale, 0.1);  // not a comparison of zeros
  for (size_t i = 0; i < heads.size(); ++i)
    ASSERT_NEAR(heads[i], heads_ref[i], 2e-6 * scale) << "at " << i;
  // Same hit draws, so the same showers up to rounding; a draw may flip only where the hit
  // probability is within rounding of the uniform, which 7 showers do not reach.
  size_t hits = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    ASSERT_EQ(u[i] == 0.0f, u_ref[i] == 0.0f) << "voxel " << i;
    ASSERT_NEAR(u[i], u_ref[i], 2e-6 * scale) << "voxel " << i;
    hits += u[i] != 0.0f;
  }
  EXPECT_GT(hits, u.size() / 20);
}

TEST(DecoderTailCpu, HeadWithAttentionRunsTheLayers) {
  ModelConfig cfg;
  cfg.decoder_attention = true;
  Calo4pQVAE model(cfg);
  const int n = cfg.n;
  std::vector<uint8_t> z(static_cast<size_t>(2 * 4 * n), 1);
  std::vector<float> e{1e3f, 1e5f};
  const std::vector<float> a = model.decode_heads(z, e).to_vector();
  model.set_cpu_decoder_tail(false);
  EXPECT_EQ(model.decode_heads(z, e).to_vector(), a);  // bit for bit: the same code ran
}

}  // namespace
}  // namespace calo::nn
