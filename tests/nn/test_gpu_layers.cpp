// CUDA vs CPU equality for every layer and op: the same layer (same seed) runs on both backends,
// forward outputs, input gradients and parameter gradients must agree. Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "host/backend.hpp"
#include "host/nn/activations.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/gumbel.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/losses.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/ops.hpp"
#include "host/nn/sequential.hpp"
#include "host/nn/shape_ops.hpp"
#include "tests/nn/test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::random_tensor;

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

void expect_close(const Tensor& cpu, const Tensor& gpu, double tol, const std::string& what) {
  ASSERT_EQ(cpu.shape(), gpu.shape()) << what;
  ASSERT_FALSE(gpu.on_host()) << what;
  const auto a = cpu.to_vector(), b = gpu.to_vector();
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > tol * (1.0 + std::fabs(a[i])) && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: cpu " << a[i] << " gpu " << b[i];
  EXPECT_EQ(bad, 0) << what;
}

// Builds the layer twice (same seed), runs forward+backward on both backends and compares.
void compare_layer(const std::function<std::unique_ptr<Layer>()>& make, Shape in_shape,
                   bool training, double tol = 1e-4) {
  auto cpu = make();
  auto gpu = make();
  gpu->to(Backend::cuda);
  Tensor x = random_tensor(in_shape, 5);
  Tensor y_cpu = cpu->forward(x, training);
  Tensor y_gpu = gpu->forward(x.to(Backend::cuda), training);
  expect_close(y_cpu, y_gpu, tol, cpu->name() + " forward");
  Tensor R = random_tensor(y_cpu.shape(), 6);
  Tensor g_cpu = cpu->backward(R);
  Tensor g_gpu = gpu->backward(R.to(Backend::cuda));
  expect_close(g_cpu, g_gpu, tol, cpu->name() + " backward");
  auto pc = cpu->params(), pg = gpu->params();
  ASSERT_EQ(pc.size(), pg.size());
  for (size_t i = 0; i < pc.size(); ++i)
    expect_close(pc[i]->grad, pg[i]->grad, tol, pc[i]->name + " grad");
  auto bc = cpu->buffers(), bg = gpu->buffers();
  for (size_t i = 0; i < bc.size(); ++i) expect_close(*bc[i].value, *bg[i].value, tol, bc[i].name);
}

TEST(GpuLayers, Conv3dAllPaddings) {
  SKIP_WITHOUT_GPU();
  compare_layer(
      [] {
        return std::make_unique<Conv3d>(2, 3, Dims3{3, 3, 3}, Dims3{2, 1, 1},
                                        Padding3d::cylindrical, true, 1);
      },
      {2, 2, 5, 16, 9}, true);
  compare_layer(
      [] {
        return std::make_unique<Conv3d>(2, 3, Dims3{3, 3, 3}, Dims3{1, 2, 1}, Padding3d::zero, true,
                                        2);
      },
      {2, 2, 4, 6, 5}, true);
  compare_layer(
      [] {
        return std::make_unique<Conv3d>(3, 4, Dims3{3, 3, 3}, Dims3{1, 2, 2}, Padding3d::none,
                                        false, 3);
      },
      {2, 3, 3, 5, 5}, true);
}

TEST(GpuLayers, ConvTransposeLinearActivations) {
  SKIP_WITHOUT_GPU();
  compare_layer(
      [] {
        return std::make_unique<ConvTranspose3d>(3, 2, Dims3{3, 3, 2}, Dims3{2, 1, 2}, 4);
      },
      {2, 3, 3, 2, 3}, true);
  compare_layer([] { return std::make_unique<Linear>(7, 5, 5); }, {3, 7}, true);
  compare_layer([] { return std::make_unique<ReLU>(); }, {2, 3, 4}, true);
  compare_layer([] { return std::make_unique<LeakyReLU>(0.05f); }, {2, 3, 4}, true);
  compare_layer([] { return std::make_unique<PReLU>(3, 0.1f); }, {2, 3, 4}, true);
  compare_layer([] { return std::make_unique<PReLU>(1, 0.3f); }, {2, 3, 4}, true);
  compare_layer([] { return std::make_unique<SiLU>(); }, {2, 3, 4}, true);
  compare_layer([] { return std::make_unique<Sigmoid>(); }, {2, 3, 4}, true);
}

TEST(GpuLayers, BatchNormAndSequential) {
  SKIP_WITHOUT_GPU();
  compare_layer([] { return std::make_unique<BatchNorm>(3); }, {4, 3, 2, 3, 2}, true);
  compare_layer([] { return std::make_unique<BatchNorm>(3); }, {4, 3, 5}, false);
  compare_layer([] { return std::make_unique<GroupNorm1>(3); }, {4, 3, 2, 5}, true);
  compare_layer(
      [] {
        auto s = std::make_unique<Sequential>("enc");
        s->emplace<Conv3d>(1, 4, Dims3{3, 3, 3}, Dims3{2, 1, 1}, Padding3d::cylindrical, true, 5,
                           "c");
        s->emplace<BatchNorm>(4, 1e-5f, 0.1f, "bn");
        s->emplace<PReLU>(4, 0.02f, "a");
        s->emplace<Flatten>();
        s->emplace<Linear>(4 * 2 * 16 * 8, 3, 6, true, "fc");
        return s;
      },
      {2, 1, 5, 16, 9}, true, 3e-4);
}

TEST(GpuLayers, ShapeOpsGumbelLossesCombineAdam) {
  SKIP_WITHOUT_GPU();
  Tensor a = random_tensor({2, 2, 3, 4}, 1), b = random_tensor({2, 1, 3, 4}, 2);
  const auto cuda = Backend::cuda;
  expect_close(concat_channels(a, b), concat_channels(a.to(cuda), b.to(cuda)), 0, "concat");
  Tensor e = random_tensor({2, 1}, 3);
  Tensor xe = append_energy_channel(a, e);
  expect_close(xe, append_energy_channel(a.to(cuda), e.to(cuda)), 0, "energy channel");
  auto [gx, ge] = append_energy_channel_backward(xe);
  auto [gx2, ge2] = append_energy_channel_backward(xe.to(cuda));
  expect_close(gx, gx2, 0, "energy grad x");
  expect_close(ge, ge2, 1e-5, "energy grad e");

  Tensor l = random_tensor({3, 100}, 4, -3.0f, 3.0f);
  for (bool training : {true, false}) {
    Tensor z = gumbel_sigmoid_forward(l, 2.0f, training, 9, 1, 17);
    Tensor z2 = gumbel_sigmoid_forward(l.to(cuda), 2.0f, training, 9, 1, 17);
    expect_close(z, z2, 1e-5, "gumbel");
    expect_close(gumbel_sigmoid_backward(z, z, 2.0f), gumbel_sigmoid_backward(z2, z2, 2.0f), 1e-5,
                 "gumbel bwd");
  }
  Tensor u = random_tensor({3, 100}, 5, 0.0f, 1.0f), uh = random_tensor({3, 100}, 6, 0.0f, 1.0f);
  LossResult m = weighted_mse_u(u, uh, 2.0f, 1.5f),
             m2 = weighted_mse_u(u.to(cuda), uh.to(cuda), 2.0f, 1.5f);
  EXPECT_NEAR(m.value, m2.value, 1e-6 * std::fabs(m.value));
  expect_close(m.grad, m2.grad, 1e-6, "wmse grad");
  LossResult c = bce_with_logits(l, u), c2 = bce_with_logits(l.to(cuda), u.to(cuda));
  EXPECT_NEAR(c.value, c2.value, 1e-6 * std::fabs(c.value));
  expect_close(c.grad, c2.grad, 1e-6, "bce grad");
  expect_close(combine_train(l, uh, 0.1f), combine_train(l.to(cuda), uh.to(cuda), 0.1f), 0,
               "combine");
  {  // the model's gradient sum and hit-mask target, on the device
    Tensor y = l.clone(), y2 = l.to(cuda);
    ops::add_inplace(Backend::cpu, y.data(), uh.data(), y.numel());
    const Tensor uh2 = uh.to(cuda);
    ops::add_inplace(cuda, y2.data(), uh2.data(), y2.numel());
    expect_close(y, y2, 0, "add_inplace");
    Tensor t(l.shape()), t2(l.shape(), cuda);
    const Tensor l2 = l.to(cuda);
    ops::hit_target(Backend::cpu, l.data(), t.data(), l.numel());
    ops::hit_target(cuda, l2.data(), t2.data(), l.numel());
    expect_close(t, t2, 0, "hit_target");
  }
  expect_close(combine_train_backward(u, l, uh, 0.1f),
               combine_train_backward(u.to(cuda), l.to(cuda), uh.to(cuda), 0.1f), 0, "combine bwd");
  expect_close(combine_eval(l, uh, 3, 4), combine_eval(l.to(cuda), uh.to(cuda), 3, 4), 0,
               "combine eval");

  Param p{"w", random_tensor({50}, 7), random_tensor({50}, 8), true};
  Param q{"w", p.value.to(cuda), p.grad.to(cuda), true};
  Adam o1(AdamOptions{0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, false}), o2(o1.options());
  for (int t = 0; t < 3; ++t) {
    o1.step({&p});
    o2.step({&q});
  }
  expect_close(p.value, q.value, 1e-6, "adam");
}

}  // namespace
}  // namespace calo::nn
