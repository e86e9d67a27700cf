// col2im as a gather (kernels/nn/col2im_gather.hpp, what the CUDA col2im runs per input element)
// against the CPU scatter (ops::col2im on the CPU): the same bits for every element, onto a
// nonzero x, for each padding mode, the model's kernels and strides, odd and even phi counts and
// a strided r axis (the scatter's per-column walk); and the CUDA col2im against the CPU's where a
// GPU exists.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "host/backend.hpp"
#include "host/nn/ops.hpp"
#include "host/tensor.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/nn/col2im_gather.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {
namespace {

ConvGeom geometry(int C, int D, int H, int W, int kd, int kh, int kw, int sd, int sh, int sw,
                  PadMode m) {
  const int pd = conv_padded_extent(m, 0, D), ph = conv_padded_extent(m, 1, H),
            pw = conv_padded_extent(m, 2, W);
  return ConvGeom{C,
                  D,
                  H,
                  W,
                  kd,
                  kh,
                  kw,
                  sd,
                  sh,
                  sw,
                  (pd - kd) / sd + 1,
                  (ph - kh) / sh + 1,
                  (pw - kw) / sw + 1,
                  m};
}

Tensor testing_col(const ConvGeom& g, int64_t cols) {
  const int64_t rows = int64_t(g.C) * g.kd * g.kh * g.kw;
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < v.size(); ++i) v[i] = uniform(11, 1, i) - 0.5f;
  return Tensor::from_host({rows, cols}, v);
}
Tensor testing_x0(const ConvGeom& g) {
  std::vector<float> v(static_cast<size_t>(int64_t(g.C) * g.D * g.H * g.W));
  for (size_t i = 0; i < v.size(); ++i) v[i] = uniform(11, 2, i) - 0.5f;
  return Tensor::from_host({int64_t(v.size())}, v);
}

void expect_gather_equals_scatter(const ConvGeom& g, uint64_t seed, double reached_at_least = 0.5) {
  const int64_t rows = int64_t(g.C) * g.kd * g.kh * g.kw, cols = int64_t(g.Do) * g.Ho * g.Wo;
  const int64_t inputs = int64_t(g.C) * g.D * g.H * g.W;
  std::vector<float> col(static_cast<size_t>(rows * cols)), x0(static_cast<size_t>(inputs));
  for (size_t i = 0; i < col.size(); ++i) col[i] = uniform(seed, 1, i) - 0.5f;
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = uniform(seed, 2, i) - 0.5f;
  std::vector<float> scatter = x0;
  ops::col2im(Backend::cpu, g, col.data(), scatter.data());
  int64_t reached = 0;
  for (int64_t i = 0; i < inputs; ++i) {
    const float got = col2im_gather(g, col.data(), cols, i, x0[size_t(i)]);
    ASSERT_EQ(got, scatter[size_t(i)]) << "input element " << i << " of " << inputs;
    reached += got != x0[size_t(i)];
  }
  EXPECT_GE(double(reached), reached_at_least * double(inputs)) << "inputs the geometry reaches";
}

TEST(Col2imGather, CylindricalEncoderConvs) {
  expect_gather_equals_scatter(geometry(2, 5, 16, 9, 3, 3, 3, 1, 1, 1, PadMode::cylindrical), 1);
  expect_gather_equals_scatter(geometry(3, 9, 16, 9, 3, 3, 3, 2, 1, 1, PadMode::cylindrical), 2);
  expect_gather_equals_scatter(geometry(2, 6, 8, 5, 2, 3, 2, 2, 2, 1, PadMode::cylindrical), 3);
}

TEST(Col2imGather, OddPhiCountAndStridedRadius) {
  expect_gather_equals_scatter(geometry(2, 4, 5, 7, 3, 3, 3, 1, 1, 1, PadMode::cylindrical), 4);
  expect_gather_equals_scatter(geometry(2, 4, 6, 8, 3, 3, 3, 1, 2, 2, PadMode::cylindrical), 5);
  expect_gather_equals_scatter(geometry(1, 3, 3, 4, 2, 3, 3, 1, 1, 1, PadMode::cylindrical), 6);
}

// Padding corners: one and two phi rows (every wrap lands on the same rows), an r stride of 2,
// and strides longer than the kernel, which skip inputs (they receive nothing).
TEST(Col2imGather, TinyPhiAndStridesThatSkipInputs) {
  expect_gather_equals_scatter(geometry(1, 3, 1, 3, 3, 3, 3, 1, 1, 1, PadMode::cylindrical), 11);
  expect_gather_equals_scatter(geometry(1, 3, 2, 4, 2, 3, 3, 1, 1, 1, PadMode::cylindrical), 12);
  expect_gather_equals_scatter(geometry(2, 4, 5, 5, 3, 3, 3, 1, 1, 2, PadMode::cylindrical), 13);
  expect_gather_equals_scatter(geometry(3, 5, 16, 6, 3, 3, 3, 1, 2, 1, PadMode::cylindrical), 14);
  expect_gather_equals_scatter(geometry(2, 11, 7, 8, 2, 2, 2, 3, 3, 3, PadMode::none), 15, 0.25);
  expect_gather_equals_scatter(geometry(1, 5, 4, 6, 3, 3, 3, 2, 2, 2, PadMode::zero), 16);
  expect_gather_equals_scatter(geometry(2, 46, 16, 10, 4, 2, 4, 2, 2, 1, PadMode::none), 17);
}

TEST(Col2imGather, ZeroAndNoPadding) {
  expect_gather_equals_scatter(geometry(2, 5, 16, 9, 3, 3, 3, 1, 1, 1, PadMode::zero), 7);
  expect_gather_equals_scatter(geometry(2, 6, 7, 9, 3, 2, 3, 2, 2, 2, PadMode::zero), 8);
  expect_gather_equals_scatter(geometry(2, 20, 8, 9, 4, 2, 3, 2, 2, 1, PadMode::none), 9);
  expect_gather_equals_scatter(geometry(3, 10, 4, 5, 4, 2, 3, 2, 2, 1, PadMode::none), 10);
}

// The CUDA col2im (a thread per input element running col2im_gather) gives the CPU scatter's bits,
// on every run: no atomics.
TEST(Col2imGather, CudaCol2imEqualsTheCpuScatterBitForBit) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const ConvGeom& g : {geometry(3, 9, 16, 9, 3, 3, 3, 2, 1, 1, PadMode::cylindrical),
                            geometry(4, 20, 8, 9, 4, 2, 3, 2, 2, 1, PadMode::none)}) {
    const int64_t cols = int64_t(g.Do) * g.Ho * g.Wo;
    const Tensor col = testing_col(g, cols), x0 = testing_x0(g);
    Tensor cpu = x0.clone();
    ops::col2im(Backend::cpu, g, col.data(), cpu.data());
    const Tensor d_col = col.to(Backend::cuda);
    for (int run = 0; run < 2; ++run) {
      Tensor gpu = x0.to(Backend::cuda);
      ops::col2im(Backend::cuda, g, d_col.data(), gpu.data());
      EXPECT_EQ(gpu.to_vector(), cpu.to_vector()) << "run " << run;
    }
  }
}

}  // namespace
}  // namespace calo::nn
