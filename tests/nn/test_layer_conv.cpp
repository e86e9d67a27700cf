// Convolutions: the cylindrical neighbour function, forward against explicit-padding references,
// and finite-difference gradients (including the phi wrap and the r = -1 centre row).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/error.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/cylindrical_index.hpp"
#include "tests/nn/test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::grad_check;
using testing::random_tensor;

ConvGeom cyl_geom(int D, int H, int W) {
  return ConvGeom{1, D, H, W, 3, 3, 3, 1, 1, 1, D - 2, H, W - 1, PadMode::cylindrical};
}

TEST(CylindricalIndex, CentreRowIsRadiusZeroRotatedBy180Degrees) {
  const ConvGeom g = cyl_geom(5, 16, 9);
  for (int od = 0; od < 3; ++od)
    for (int oh = 0; oh < 16; ++oh)
      for (int ky = 0; ky < 3; ++ky)
        for (int kz = 0; kz < 3; ++kz) {
          // Output column ow = 0 with kx = 0 reads the padded r = -1 row.
          const int alpha = ((oh + ky - 1) % 16 + 16) % 16;
          const int64_t want = (static_cast<int64_t>(od + kz) * 16 + (alpha + 8) % 16) * 9 + 0;
          EXPECT_EQ(conv_neighbour_index(g, od, oh, 0, kz, ky, 0), want) << oh << " " << ky;
        }
  // alpha = 0 with ky = 0 wraps to alpha = 15, r = ow + kx - 1.
  EXPECT_EQ(conv_neighbour_index(g, 0, 0, 3, 0, 0, 1), (0 * 16 + 15) * 9 + 3);
  // alpha = 15 with ky = 2 wraps to alpha = 0.
  EXPECT_EQ(conv_neighbour_index(g, 1, 15, 2, 1, 2, 2), (2 * 16 + 0) * 9 + 3);
  // r = -1 at alpha = 15 (ky = 2 from oh = 14) is r = 0 at alpha 7.
  EXPECT_EQ(conv_neighbour_index(g, 0, 14, 0, 0, 2, 0), (0 * 16 + 7) * 9 + 0);
  // The outer radius is never padded: output W = 8, last output reads r = 6, 7, 8.
  EXPECT_EQ(conv_neighbour_index(g, 0, 3, 7, 0, 1, 2), (0 * 16 + 3) * 9 + 8);
}

TEST(CylindricalIndex, ZeroPaddingReturnsMinusOneOutside) {
  const ConvGeom g{1, 4, 4, 4, 3, 3, 3, 1, 1, 1, 4, 4, 4, PadMode::zero};
  EXPECT_EQ(conv_neighbour_index(g, 0, 0, 0, 0, 1, 1), -1);
  EXPECT_EQ(conv_neighbour_index(g, 0, 0, 0, 1, 1, 1), 0);
  EXPECT_EQ(conv_neighbour_index(g, 3, 3, 3, 2, 1, 1), -1);
  EXPECT_EQ(conv_neighbour_index(g, 3, 3, 3, 1, 1, 1), 63);
}

// Reference: build the padded tensor exactly as PeriodicConv3d_v2 does (roll r=0 by H/2, prepend
// as r=-1, circular phi pad), then a naive valid convolution.
std::vector<float> reference_cylindrical_conv(const Tensor& x, Conv3d& conv, Dims3 s) {
  const int64_t B = x.dim(0), C = x.dim(1), D = x.dim(2), H = x.dim(3), W = x.dim(4);
  const int64_t Hp = H + 2, Wp = W + 1;
  std::vector<float> pad(B * C * D * Hp * Wp);
  auto X = [&](int64_t b, int64_t c, int64_t d, int64_t h, int64_t w) {
    return x.data()[(((b * C + c) * D + d) * H + h) * W + w];
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t hp = 0; hp < Hp; ++hp)
          for (int64_t wp = 0; wp < Wp; ++wp) {
            const int64_t h = (hp - 1 + H) % H;
            // torch.roll(x[..., 0], H/2, dims=phi): rolled[h] = x[(h - H/2) mod H] == x[(h + H/2)
            // mod H] for even H.
            const float v = wp == 0 ? X(b, c, d, (h - H / 2 + H) % H, 0) : X(b, c, d, h, wp - 1);
            pad[(((b * C + c) * D + d) * Hp + hp) * Wp + wp] = v;
          }
  const Shape os = conv.output_shape(x.shape());
  const int64_t O = os[1];
  std::vector<float> out(shape_numel(os));
  const float* Wt = conv.weight().value.data();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t od = 0; od < os[2]; ++od)
        for (int64_t oh = 0; oh < os[3]; ++oh)
          for (int64_t ow = 0; ow < os[4]; ++ow) {
            double acc = conv.bias()->value.data()[o];
            for (int64_t c = 0; c < C; ++c)
              for (int kz = 0; kz < 3; ++kz)
                for (int ky = 0; ky < 3; ++ky)
                  for (int kx = 0; kx < 3; ++kx)
                    acc += static_cast<double>(Wt[(((o * C + c) * 3 + kz) * 3 + ky) * 3 + kx]) *
                           pad[(((b * C + c) * D + od * s.d + kz) * Hp + oh * s.h + ky) * Wp +
                               ow * s.w + kx];
            out[(((b * O + o) * os[2] + od) * os[3] + oh) * os[4] + ow] = static_cast<float>(acc);
          }
  return out;
}

// The CPU im2col/col2im walk rows incrementally; the CUDA kernels call conv_col_source per element.
// Both must read the same voxels, for every padding mode, stride and a kd != 3 cylindrical kernel.
TEST(Im2col, CpuLoopsEqualTheSharedColumnSource) {
  const ConvGeom geoms[] = {
      {2, 7, 16, 9, 3, 3, 3, 2, 1, 1, 3, 16, 8, PadMode::cylindrical},
      {3, 8, 8, 6, 3, 3, 3, 1, 2, 1, 6, 4, 5, PadMode::cylindrical},
      {2, 6, 16, 10, 2, 3, 3, 1, 1, 1, 5, 16, 9, PadMode::cylindrical},
      {2, 5, 4, 3, 3, 3, 3, 1, 1, 1, 5, 4, 3, PadMode::zero},
      {2, 8, 8, 6, 3, 3, 3, 2, 2, 1, 3, 3, 4, PadMode::none},
      {2, 6, 8, 9, 3, 3, 3, 1, 1, 2, 4, 8, 4, PadMode::cylindrical},  // r stride 2: per element
      {2, 5, 4, 7, 3, 3, 3, 1, 1, 2, 5, 4, 4, PadMode::zero},
      {3, 12, 8, 6, 4, 2, 4, 2, 2, 1, 5, 4, 3, PadMode::none},      // a decoder ConvT's adjoint
      {2, 46, 16, 10, 2, 1, 2, 1, 1, 1, 45, 16, 9, PadMode::none},  // the heads' last conv
  };
  for (const ConvGeom& g : geoms) {
    const int64_t rows = int64_t(g.C) * g.kd * g.kh * g.kw, cols = int64_t(g.Do) * g.Ho * g.Wo;
    const int64_t in_n = int64_t(g.C) * g.D * g.H * g.W;
    std::vector<float> x(static_cast<size_t>(in_n));
    for (int64_t i = 0; i < in_n; ++i) x[size_t(i)] = float(i + 1);
    std::vector<float> col(size_t(rows * cols)), back(size_t(in_n), 0.0f),
        want_back(size_t(in_n), 0.0f);
    ops::im2col(Backend::cpu, g, x.data(), col.data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t s = conv_col_source(g, r, c);
        ASSERT_EQ(col[size_t(r * cols + c)], s < 0 ? 0.0f : x[size_t(s)]) << r << " " << c;
        if (s >= 0) want_back[size_t(s)] += col[size_t(r * cols + c)];
      }
    ops::col2im(Backend::cpu, g, col.data(), back.data());
    for (int64_t i = 0; i < in_n; ++i) ASSERT_EQ(back[size_t(i)], want_back[size_t(i)]) << i;
    // The serial per-item versions of the batched CPU convolutions (host/nn/conv_cpu.hpp).
    std::vector<float> col_item(col.size(), -1.0f), back_item(size_t(in_n), 0.0f);
    cpu::im2col_item(g, x.data(), col_item.data());
    ASSERT_EQ(col_item, col);
    cpu::col2im_item(g, col.data(), back_item.data());
    ASSERT_EQ(back_item, want_back);
  }
}

TEST(Conv3d, CylindricalForwardMatchesExplicitPadding) {
  for (Dims3 s : {Dims3{1, 1, 1}, Dims3{2, 1, 1}, Dims3{1, 2, 1}}) {
    Conv3d conv(2, 3, {3, 3, 3}, s, Padding3d::cylindrical, true, 11);
    Tensor x = random_tensor({2, 2, 5, 16, 9}, 3);
    Tensor y = conv.forward(x, true);
    const std::vector<float> ref = reference_cylindrical_conv(x, conv, s);
    ASSERT_EQ(static_cast<size_t>(y.numel()), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(y.data()[i], ref[i], 1e-4) << i;
  }
}

TEST(Conv3d, ReferenceEncoderShapes) {
  // Reference encoder level shapes (research/caloqvae.md section 2).
  EXPECT_EQ(Conv3d(1, 32, {3, 3, 3}, {2, 1, 1}, Padding3d::cylindrical, true, 1)
                .output_shape({4, 1, 45, 16, 9}),
            (Shape{4, 32, 22, 16, 8}));
  EXPECT_EQ(Conv3d(32, 64, {3, 3, 3}, {2, 1, 1}, Padding3d::cylindrical, true, 1)
                .output_shape({4, 32, 22, 16, 8}),
            (Shape{4, 64, 10, 16, 7}));
  EXPECT_EQ(Conv3d(64, 128, {3, 3, 3}, {1, 2, 1}, Padding3d::cylindrical, true, 1)
                .output_shape({4, 64, 10, 16, 7}),
            (Shape{4, 128, 8, 8, 6}));
  EXPECT_EQ(Conv3d(129, 256, {3, 3, 3}, {2, 2, 1}, Padding3d::none, true, 1)
                .output_shape({4, 129, 8, 8, 6}),
            (Shape{4, 256, 3, 3, 4}));
  EXPECT_EQ(Conv3d(256, 302, {3, 3, 3}, {1, 2, 2}, Padding3d::none, true, 1)
                .output_shape({4, 256, 3, 3, 4}),
            (Shape{4, 302, 1, 1, 1}));
  EXPECT_THROW(Conv3d(1, 1, {3, 3, 3}, {1, 1, 1}, Padding3d::cylindrical, true, 1)
                   .output_shape({1, 1, 5, 15, 9}),
               InputError);
  EXPECT_THROW(Conv3d(1, 1, {3, 1, 3}, {1, 1, 1}, Padding3d::cylindrical, true, 1), InputError);
}

TEST(Conv3d, ZeroPaddingMatchesNaive) {
  Conv3d conv(2, 2, {3, 3, 3}, {1, 2, 1}, Padding3d::zero, true, 5);
  Tensor x = random_tensor({1, 2, 4, 5, 3}, 9);
  Tensor y = conv.forward(x, false);
  ASSERT_EQ(y.shape(), (Shape{1, 2, 4, 3, 3}));
  const float* Wt = conv.weight().value.data();
  for (int o = 0; o < 2; ++o)
    for (int od = 0; od < 4; ++od)
      for (int oh = 0; oh < 3; ++oh)
        for (int ow = 0; ow < 3; ++ow) {
          double acc = conv.bias()->value.data()[o];
          for (int c = 0; c < 2; ++c)
            for (int kz = 0; kz < 3; ++kz)
              for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx) {
                  const int d = od + kz - 1, h = oh * 2 + ky - 1, w = ow + kx - 1;
                  if (d < 0 || d >= 4 || h < 0 || h >= 5 || w < 0 || w >= 3) continue;
                  acc += static_cast<double>(Wt[(((o * 2 + c) * 3 + kz) * 3 + ky) * 3 + kx]) *
                         x.data()[((c * 4 + d) * 5 + h) * 3 + w];
                }
          EXPECT_NEAR(y.data()[((o * 4 + od) * 3 + oh) * 3 + ow], acc, 1e-5);
        }
}

TEST(Conv3dGrad, CylindricalWrapAndCentre) {
  Conv3d conv(2, 2, {3, 3, 3}, {1, 1, 1}, Padding3d::cylindrical, true, 21);
  Tensor x = random_tensor({2, 2, 5, 16, 9}, 22);
  grad_check(conv, x, true, 23);
}

TEST(Conv3dGrad, CylindricalStrided) {
  Conv3d conv(2, 3, {3, 3, 3}, {2, 2, 1}, Padding3d::cylindrical, true, 31);
  Tensor x = random_tensor({2, 2, 5, 16, 9}, 32);
  grad_check(conv, x, true, 33);
}

TEST(Conv3dGrad, ZeroAndValid) {
  Conv3d zero(2, 2, {3, 3, 3}, {1, 2, 1}, Padding3d::zero, true, 41);
  Tensor x = random_tensor({2, 2, 4, 5, 3}, 42);
  grad_check(zero, x, true, 43);
  Conv3d valid(2, 3, {3, 2, 3}, {2, 1, 2}, Padding3d::none, false, 44);
  Tensor x2 = random_tensor({2, 2, 5, 4, 5}, 45);
  grad_check(valid, x2, true, 46);
}

TEST(ConvTranspose3d, MatchesScatterDefinition) {
  ConvTranspose3d ct(2, 3, {3, 2, 3}, {2, 1, 2}, 51);
  Tensor x = random_tensor({2, 2, 3, 2, 2}, 52);
  Tensor y = ct.forward(x, true);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 7, 3, 5}));
  std::vector<double> ref(y.numel());
  const float* Wt = ct.weight().value.data();
  for (int b = 0; b < 2; ++b)
    for (int o = 0; o < 3; ++o)
      for (int i = 0; i < 7 * 3 * 5; ++i) ref[(b * 3 + o) * 105 + i] = ct.bias()->value.data()[o];
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 2; ++c)
      for (int d = 0; d < 3; ++d)
        for (int h = 0; h < 2; ++h)
          for (int w = 0; w < 2; ++w)
            for (int o = 0; o < 3; ++o)
              for (int kz = 0; kz < 3; ++kz)
                for (int ky = 0; ky < 2; ++ky)
                  for (int kx = 0; kx < 3; ++kx)
                    ref[(b * 3 + o) * 105 + ((d * 2 + kz) * 3 + h + ky) * 5 + w * 2 + kx] +=
                        static_cast<double>(x.data()[(((b * 2 + c) * 3 + d) * 2 + h) * 2 + w]) *
                        Wt[(((c * 3 + o) * 3 + kz) * 2 + ky) * 3 + kx];
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_NEAR(y.data()[i], ref[i], 1e-5) << i;
}

TEST(ConvTranspose3dGrad, FiniteDifferences) {
  ConvTranspose3d ct(3, 2, {3, 3, 2}, {2, 1, 2}, 61);
  Tensor x = random_tensor({2, 3, 3, 2, 3}, 62);
  grad_check(ct, x, true, 63);
}

TEST(Linear, ForwardAndGradient) {
  Linear lin(5, 4, 71);
  Tensor x = random_tensor({3, 5}, 72);
  Tensor y = lin.forward(x, true);
  for (int b = 0; b < 3; ++b)
    for (int o = 0; o < 4; ++o) {
      double acc = lin.bias()->value.data()[o];
      for (int i = 0; i < 5; ++i)
        acc += static_cast<double>(x.data()[b * 5 + i]) * lin.weight().value.data()[o * 5 + i];
      EXPECT_NEAR(y.data()[b * 4 + o], acc, 1e-6);
    }
  grad_check(lin, x, true, 73);
}

TEST(Linear, WithoutInputGradientKeepsParameterGradients) {
  Linear a(6, 5, 81), b(6, 5, 81);
  b.set_input_gradient(false);
  Tensor x = random_tensor({4, 6}, 82), g = random_tensor({4, 5}, 83);
  a.forward(x, true);
  b.forward(x, true);
  a.weight().grad.zero();
  b.weight().grad.zero();
  a.bias()->grad.zero();
  b.bias()->grad.zero();
  const Tensor gx_a = a.backward(g), gx_b = b.backward(g);
  EXPECT_EQ(a.weight().grad.to_vector(), b.weight().grad.to_vector());
  EXPECT_EQ(a.bias()->grad.to_vector(), b.bias()->grad.to_vector());
  ASSERT_EQ(gx_b.shape(), gx_a.shape());
  for (float v : gx_b.to_vector()) EXPECT_EQ(v, 0.0f);
  double norm = 0;
  for (float v : gx_a.to_vector()) norm += std::abs(v);
  EXPECT_GT(norm, 0.0);
}

// Channel blocks (S = 1: 64 channels a task, 130 = two full blocks and a partial one) and long
// rows (one channel a task) against a direct double sum; accumulates into the existing values.
TEST(ChannelSum, BlocksMatchDirectSum) {
  for (const int64_t S : {int64_t{1}, int64_t{17}}) {
    const int64_t B = 7, C = 130;
    Tensor gy = random_tensor({B, C, S}, 84);
    std::vector<float> sums(static_cast<size_t>(C), 0.5f);
    ops::channel_sum_acc(Backend::cpu, gy.data(), sums.data(), B, C, S);
    for (int64_t c = 0; c < C; ++c) {
      double want = 0;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t s = 0; s < S; ++s) want += gy.data()[(b * C + c) * S + s];
      EXPECT_NEAR(sums[static_cast<size_t>(c)], 0.5 + want, 1e-5) << "S " << S << " c " << c;
    }
  }
}

TEST(Init, DeterministicKaimingUniformBound) {
  Conv3d a(4, 8, {3, 3, 3}, {1, 1, 1}, Padding3d::none, true, 99);
  Conv3d b(4, 8, {3, 3, 3}, {1, 1, 1}, Padding3d::none, true, 99);
  Conv3d c(4, 8, {3, 3, 3}, {1, 1, 1}, Padding3d::none, true, 100);
  EXPECT_EQ(a.weight().value.to_vector(), b.weight().value.to_vector());
  EXPECT_NE(a.weight().value.to_vector(), c.weight().value.to_vector());
  const float bound = 1.0f / std::sqrt(4.0f * 27.0f);
  float maxabs = 0.0f;
  for (float v : a.weight().value.to_vector()) maxabs = std::max(maxabs, std::fabs(v));
  EXPECT_LE(maxabs, bound);
  EXPECT_GT(maxabs, 0.9f * bound);  // 864 draws fill the range
}

}  // namespace
}  // namespace calo::nn
