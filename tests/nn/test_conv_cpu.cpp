// The batched CPU convolutions (host/nn/conv_cpu.hpp) against the per-item im2col + GEMM loop the
// CUDA path still runs (ops::im2col, ops::col2im, ops::gemm), and their independence of the thread
// count (fixed gradient chunks).
#include <gtest/gtest.h>
#include <omp.h>

#include <vector>

#include "host/error.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/ops.hpp"
#include "test_layer_util.hpp"

namespace calo::nn {
namespace {

using testing::random_tensor;

ConvGeom geom(int C, int D, int H, int W, Dims3 k, Dims3 s, PadMode m) {
  const int p[3] = {conv_padded_extent(m, 0, D), conv_padded_extent(m, 1, H),
                    conv_padded_extent(m, 2, W)};
  return ConvGeom{C,
                  D,
                  H,
                  W,
                  k.d,
                  k.h,
                  k.w,
                  s.d,
                  s.h,
                  s.w,
                  (p[0] - k.d) / s.d + 1,
                  (p[1] - k.h) / s.h + 1,
                  (p[2] - k.w) / s.w + 1,
                  m};
}

struct Sizes {
  int64_t rows, L, in;
};
Sizes sizes(const ConvGeom& g) {
  return {static_cast<int64_t>(g.C) * g.kd * g.kh * g.kw, static_cast<int64_t>(g.Do) * g.Ho * g.Wo,
          static_cast<int64_t>(g.C) * g.D * g.H * g.W};
}

void expect_near(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << "at " << i;
}

class ConvCpu : public ::testing::TestWithParam<int> {};  // batch size

TEST_P(ConvCpu, ConvForwardAndBackwardEqualThePerItemLoop) {
  const int64_t B = GetParam(), Co = 5;
  const ConvGeom g = geom(3, 6, 8, 5, {3, 3, 3}, {2, 2, 1}, PadMode::cylindrical);
  const Sizes z = sizes(g);
  const Tensor W = random_tensor({Co, z.rows}, 1), x = random_tensor({B, z.in}, 2),
               gy = random_tensor({B, Co * z.L}, 3);
  std::vector<float> y(static_cast<size_t>(B * Co * z.L)), gW(static_cast<size_t>(Co * z.rows)),
      gx(static_cast<size_t>(B * z.in));
  cpu::conv_forward(g, W.data(), Co, x.data(), z.in, y.data(), B);
  cpu::conv_backward(g, W.data(), Co, x.data(), z.in, gy.data(), gW.data(), gx.data(), B);

  std::vector<float> col(static_cast<size_t>(z.rows * z.L)), y_ref(y.size()), gW_ref(gW.size()),
      gx_ref(gx.size());
  for (int64_t b = 0; b < B; ++b) {
    ops::im2col(Backend::cpu, g, x.data() + b * z.in, col.data());
    ops::gemm(Backend::cpu, false, false, Co, z.L, z.rows, 1.0f, W.data(), col.data(), 0.0f,
              y_ref.data() + b * Co * z.L);
    ops::gemm(Backend::cpu, false, true, Co, z.rows, z.L, 1.0f, gy.data() + b * Co * z.L,
              col.data(), 1.0f, gW_ref.data());
    ops::gemm(Backend::cpu, true, false, z.rows, z.L, Co, 1.0f, W.data(), gy.data() + b * Co * z.L,
              0.0f, col.data());
    ops::col2im(Backend::cpu, g, col.data(), gx_ref.data() + b * z.in);
  }
  expect_near(y, y_ref, 1e-5);
  expect_near(gW, gW_ref, 1e-4 * static_cast<double>(B));
  expect_near(gx, gx_ref, 1e-5);
}

TEST_P(ConvCpu, TransposedForwardAndBackwardEqualThePerItemLoop) {
  const int64_t B = GetParam(), Ci = 4;
  // The adjoint geometry of ConvT(k(4,2,4), s(2,2,1)) from (Ci, 5, 4, 3) to (C, 12, 8, 6).
  const ConvGeom g = geom(3, 12, 8, 6, {4, 2, 4}, {2, 2, 1}, PadMode::none);
  const Sizes z = sizes(g);  // z.in: output item size of the transposed conv
  const Tensor W = random_tensor({Ci, z.rows}, 4), x = random_tensor({B, Ci * z.L}, 5),
               gy = random_tensor({B, z.in}, 6);
  std::vector<float> y(static_cast<size_t>(B * z.in)), gW(static_cast<size_t>(Ci * z.rows)),
      gx(static_cast<size_t>(B * Ci * z.L));
  cpu::conv_transpose_forward(g, W.data(), Ci, x.data(), y.data(), z.in, B);
  cpu::conv_transpose_backward(g, W.data(), Ci, x.data(), gy.data(), z.in, gW.data(), gx.data(), B);

  std::vector<float> col(static_cast<size_t>(z.rows * z.L)), y_ref(y.size()), gW_ref(gW.size()),
      gx_ref(gx.size());
  for (int64_t b = 0; b < B; ++b) {
    ops::gemm(Backend::cpu, true, false, z.rows, z.L, Ci, 1.0f, W.data(), x.data() + b * Ci * z.L,
              0.0f, col.data());
    ops::col2im(Backend::cpu, g, col.data(), y_ref.data() + b * z.in);
    ops::im2col(Backend::cpu, g, gy.data() + b * z.in, col.data());
    ops::gemm(Backend::cpu, false, true, Ci, z.rows, z.L, 1.0f, x.data() + b * Ci * z.L, col.data(),
              1.0f, gW_ref.data());
    ops::gemm(Backend::cpu, false, false, Ci, z.L, z.rows, 1.0f, W.data(), col.data(), 0.0f,
              gx_ref.data() + b * Ci * z.L);
  }
  expect_near(y, y_ref, 1e-5);
  expect_near(gW, gW_ref, 1e-4 * static_cast<double>(B));
  expect_near(gx, gx_ref, 1e-5);
}

// Batch sizes below, at and above the 16 gradient chunks.
INSTANTIATE_TEST_SUITE_P(Batches, ConvCpu, ::testing::Values(1, 3, 16, 37));

TEST(ConvCpu, WeightGradientDoesNotDependOnTheThreadCount) {
  const int64_t B = 37, Co = 6;
  const ConvGeom g = geom(4, 10, 8, 9, {3, 3, 3}, {1, 2, 1}, PadMode::cylindrical);
  const Sizes z = sizes(g);
  const Tensor W = random_tensor({Co, z.rows}, 7), x = random_tensor({B, z.in}, 8),
               gy = random_tensor({B, Co * z.L}, 9);
  const int saved = omp_get_max_threads();
  std::vector<std::vector<float>> grads;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> gW(static_cast<size_t>(Co * z.rows)), gx(static_cast<size_t>(B * z.in));
    cpu::conv_backward(g, W.data(), Co, x.data(), z.in, gy.data(), gW.data(), gx.data(), B);
    grads.push_back(gW);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(grads[0], grads[1]);
  EXPECT_EQ(grads[0], grads[2]);
}

TEST(Gemm, BlockedResultDoesNotDependOnTheThreadCount) {
  const int64_t M = 300, N = 200, K = 50;
  const Tensor A = random_tensor({M, K}, 10), Bm = random_tensor({N, K}, 11);
  const int saved = omp_get_max_threads();
  std::vector<std::vector<float>> out;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> C(static_cast<size_t>(M * N));
    ops::gemm(Backend::cpu, false, true, M, N, K, 1.0f, A.data(), Bm.data(), 0.0f, C.data());
    out.push_back(C);
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(out[0], out[2]);
  // And it is the product: one element by hand.
  double ref = 0.0;
  for (int64_t k = 0; k < K; ++k) ref += double(A.data()[7 * K + k]) * Bm.data()[123 * K + k];
  EXPECT_NEAR(out[0][7 * N + 123], ref, 1e-4);
}

TEST(Layers, BackwardAfterAnInferenceForwardFails) {
  Conv3d conv(2, 3, {3, 3, 3}, {1, 1, 1}, Padding3d::cylindrical, true, 3);
  const Tensor x = random_tensor({2, 2, 4, 6, 3}, 12);
  conv.set_inference(true);
  const Tensor y = conv.forward(x, false);
  EXPECT_THROW(conv.backward(Tensor(y.shape())), Error);
  conv.set_inference(false);
  const Tensor y2 = conv.forward(x, true);
  EXPECT_EQ(y.to_vector(), y2.to_vector());  // inference changes what is kept, not the result
  EXPECT_NO_THROW(conv.backward(Tensor(y2.shape())));
}

}  // namespace
}  // namespace calo::nn
