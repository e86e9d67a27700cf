// col2im as a gather (kernels/nn/col2im_gather.hpp, what the CUDA kernel runs per input element)
// against the CPU's scatter (col2im_item, ops::col2im): equal bit for bit for the model's
// geometries and for the padding corners (cylindrical r = -1, periodic phi on tiny H, strides that
// skip inputs, r stride != 1). GPU: the CUDA col2im against the CPU one (skips without a device).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "host/device_memory.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/ops.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/nn/col2im_gather.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {
namespace {

ConvGeom geom(int C, int D, int H, int W, int kd, int kh, int kw, int sd, int sh, int sw,
              PadMode mode) {
  ConvGeom g{C, D, H, W, kd, kh, kw, sd, sh, sw, 0, 0, 0, mode};
  g.Do = (conv_padded_extent(mode, 0, D) - kd) / sd + 1;
  g.Ho = (conv_padded_extent(mode, 1, H) - kh) / sh + 1;
  g.Wo = (conv_padded_extent(mode, 2, W) - kw) / sw + 1;
  return g;
}

const ConvGeom kGeoms[] = {
    // the encoder's cylindrical 3x3x3 convs (z stride, phi stride) and a 3x3x3 zero-padded one
    geom(2, 9, 16, 9, 3, 3, 3, 2, 1, 1, PadMode::cylindrical),
    geom(3, 5, 16, 6, 3, 3, 3, 1, 2, 1, PadMode::cylindrical),
    geom(2, 6, 5, 4, 3, 3, 3, 1, 1, 1, PadMode::zero),
    // the decoder's transposed convs (their adjoint: valid convs of the larger output)
    geom(3, 22, 8, 7, 4, 2, 3, 2, 2, 1, PadMode::none),
    geom(2, 46, 16, 10, 4, 2, 4, 2, 2, 1, PadMode::none),
    // odd and tiny phi (every padded row of H = 1 reads alpha 0), r stride 2, taps that skip inputs
    geom(2, 4, 5, 5, 3, 3, 3, 1, 1, 2, PadMode::cylindrical),
    geom(1, 3, 1, 3, 3, 3, 3, 1, 1, 1, PadMode::cylindrical),
    geom(1, 3, 2, 4, 2, 3, 3, 1, 1, 1, PadMode::cylindrical),
    geom(2, 11, 7, 8, 2, 2, 2, 3, 3, 3, PadMode::none),
    geom(1, 5, 4, 6, 3, 3, 3, 2, 2, 2, PadMode::zero),
};

int64_t rows_of(const ConvGeom& g) {
  return int64_t(g.C) * g.kd * g.kh * g.kw;
}
int64_t cols_of(const ConvGeom& g) {
  return int64_t(g.Do) * g.Ho * g.Wo;
}
int64_t elements_of(const ConvGeom& g) {
  return int64_t(g.C) * g.D * g.H * g.W;
}

// Values of many magnitudes, so another summation order changes the rounding.
std::vector<float> values(int64_t count, uint64_t stream) {
  std::vector<float> v(static_cast<size_t>(count));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = (uniform(17, stream, i) - 0.5f) *
           std::exp2(float(int(uniform(17, stream + 1, i) * 24)) - 12);
  return v;
}

TEST(Col2imGather, EqualsTheCpuScatterBitForBit) {
  for (const ConvGeom& g : kGeoms) {
    ASSERT_GT(g.Do * g.Ho * g.Wo, 0);
    const std::vector<float> col = values(rows_of(g) * cols_of(g), 1);
    const std::vector<float> x0 = values(elements_of(g), 3);
    std::vector<float> scatter = x0, ops_scatter = x0, gather(x0.size());
    cpu::col2im_item(g, col.data(), scatter.data());
    ops::col2im(Backend::cpu, g, col.data(), ops_scatter.data());
    for (int64_t i = 0; i < elements_of(g); ++i)
      gather[size_t(i)] = col2im_gather(g, col.data(), i, x0[size_t(i)]);
    EXPECT_EQ(gather, scatter) << "C " << g.C << " D " << g.D << " H " << g.H << " W " << g.W
                               << " mode " << int(g.mode);
    EXPECT_EQ(ops_scatter, scatter);
    // Every entry that im2col reads from somewhere lands somewhere: the sum of all changes is the
    // sum of the mapped entries (a gather that dropped or doubled one would miss it).
    double mapped = 0, added = 0;
    for (int64_t r = 0; r < rows_of(g); ++r)
      for (int64_t c = 0; c < cols_of(g); ++c)
        if (conv_col_source(g, r, c) >= 0) mapped += col[size_t(r * cols_of(g) + c)];
    for (size_t i = 0; i < x0.size(); ++i) added += double(gather[i]) - double(x0[i]);
    EXPECT_NEAR(added, mapped, 1e-3 * (1 + std::fabs(mapped)));
  }
}

TEST(Col2imGather, CudaEqualsTheCpuBitForBit) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const ConvGeom& g : kGeoms) {
    const std::vector<float> col = values(rows_of(g) * cols_of(g), 1);
    const std::vector<float> x0 = values(elements_of(g), 3);
    std::vector<float> want = x0, got(x0.size());
    ops::col2im(Backend::cpu, g, col.data(), want.data());
    const DeviceArray<float> dcol = DeviceArray<float>::from_host(col);
    DeviceArray<float> dx = DeviceArray<float>::from_host(x0);
    ops::col2im(Backend::cuda, g, dcol.data(), dx.data());
    dx.download(got);
    EXPECT_EQ(got, want) << "C " << g.C << " D " << g.D << " H " << g.H << " mode " << int(g.mode);
  }
}

}  // namespace
}  // namespace calo::nn
