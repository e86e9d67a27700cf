// Cylindrical 3D convolution forward/backward (im2col + sgemm; with `--backend cuda` also cuBLAS)
// against a naive direct convolution measured in the same run. Shapes: the first two encoder
// levels of the reference (1->32 on 45x16x9, 32->64 on 22x16x8, kernel 3, cylindrical padding).
#include <benchmark/benchmark.h>

#include "perf/backend_option.hpp"
#include "perf/run_benchmarks.hpp"

#include <vector>

#include "host/backend.hpp"
#include "host/nn/conv3d.hpp"
#include "kernels/nn/cylindrical_index.hpp"
#include "kernels/philox.hpp"

namespace {

using calo::Backend;
using calo::Shape;
using calo::Tensor;
using namespace calo::nn;

struct Level {
  int in, out, D, H, W;
  Dims3 stride;
};
constexpr Level kLevels[2] = {{1, 32, 45, 16, 9, {2, 1, 1}}, {32, 64, 22, 16, 8, {2, 1, 1}}};
constexpr int kBatch = 16;

Tensor random_input(const Level& l) {
  Tensor t({kBatch, l.in, l.D, l.H, l.W});
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data()[i] = calo::uniform(1, 0, static_cast<uint64_t>(i)) - 0.5f;
  return t;
}

void set_counters(benchmark::State& state, const Conv3d& conv, const Level& l, double passes) {
  const Shape o = conv.output_shape({kBatch, l.in, l.D, l.H, l.W});
  const double flops = 2.0 * calo::shape_numel(o) * l.in * 27 * passes;
  state.counters["FLOP/s"] = benchmark::Counter(
      flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["showers/s"] =
      benchmark::Counter(kBatch, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ConvForward(benchmark::State& state) {
  const Level& l = kLevels[state.range(0)];
  Conv3d conv(l.in, l.out, {3, 3, 3}, l.stride, Padding3d::cylindrical, true, 7);
  Tensor x = random_input(l);
  for (auto _ : state) benchmark::DoNotOptimize(conv.forward(x, true).data());
  set_counters(state, conv, l, 1.0);
}

void BM_ConvForwardBackward(benchmark::State& state) {
  const Level& l = kLevels[state.range(0)];
  Conv3d conv(l.in, l.out, {3, 3, 3}, l.stride, Padding3d::cylindrical, true, 7);
  Tensor x = random_input(l);
  Tensor y = conv.forward(x, true);
  Tensor g(y.shape());
  g.fill(0.01f);
  for (auto _ : state) {
    Tensor out = conv.forward(x, true);
    benchmark::DoNotOptimize(conv.backward(g).data());
  }
  set_counters(state, conv, l, 3.0);
}

// Naive baseline: direct loops over (b, o, output voxel, c, kernel), gathering through the same
// neighbour function; backward = the matching direct scatter for input and weight gradients.
void naive_forward(const ConvGeom& g, int B, int O, const float* x, const float* w,
                   const float* bias, float* y) {
  const int64_t L = static_cast<int64_t>(g.Do) * g.Ho * g.Wo,
                in_stride = static_cast<int64_t>(g.C) * g.D * g.H * g.W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; ++b)
    for (int o = 0; o < O; ++o)
      for (int64_t col = 0; col < L; ++col) {
        float acc = bias[o];
        for (int64_t row = 0; row < static_cast<int64_t>(g.C) * 27; ++row) {
          const int64_t s = conv_col_source(g, row, col);
          if (s >= 0) acc += w[o * g.C * 27 + row] * x[b * in_stride + s];
        }
        y[(static_cast<int64_t>(b) * O + o) * L + col] = acc;
      }
}

void naive_backward(const ConvGeom& g, int B, int O, const float* x, const float* w,
                    const float* gy, float* gx, float* gw) {
  const int64_t L = static_cast<int64_t>(g.Do) * g.Ho * g.Wo,
                in_stride = static_cast<int64_t>(g.C) * g.D * g.H * g.W;
  const int64_t rows = static_cast<int64_t>(g.C) * 27;
#pragma omp parallel for schedule(static)
  for (int b = 0; b < B; ++b)  // each batch item owns its slice of gx
    for (int o = 0; o < O; ++o)
      for (int64_t col = 0; col < L; ++col) {
        const float go = gy[(static_cast<int64_t>(b) * O + o) * L + col];
        for (int64_t row = 0; row < rows; ++row) {
          const int64_t s = conv_col_source(g, row, col);
          if (s >= 0) gx[b * in_stride + s] += w[o * rows + row] * go;
        }
      }
#pragma omp parallel for schedule(static)
  for (int o = 0; o < O; ++o)  // each output channel owns its weight rows
    for (int b = 0; b < B; ++b)
      for (int64_t col = 0; col < L; ++col) {
        const float go = gy[(static_cast<int64_t>(b) * O + o) * L + col];
        for (int64_t row = 0; row < rows; ++row) {
          const int64_t s = conv_col_source(g, row, col);
          if (s >= 0) gw[o * rows + row] += x[b * in_stride + s] * go;
        }
      }
}

ConvGeom geom(const Level& l, const Shape& o) {
  return ConvGeom{l.in,
                  l.D,
                  l.H,
                  l.W,
                  3,
                  3,
                  3,
                  l.stride.d,
                  l.stride.h,
                  l.stride.w,
                  static_cast<int>(o[2]),
                  static_cast<int>(o[3]),
                  static_cast<int>(o[4]),
                  PadMode::cylindrical};
}

void BM_NaiveForward(benchmark::State& state) {
  const Level& l = kLevels[state.range(0)];
  Conv3d conv(l.in, l.out, {3, 3, 3}, l.stride, Padding3d::cylindrical, true, 7);
  Tensor x = random_input(l);
  const Shape os = conv.output_shape(x.shape());
  std::vector<float> y(calo::shape_numel(os));
  const ConvGeom g = geom(l, os);
  for (auto _ : state) {
    naive_forward(g, kBatch, l.out, x.data(), conv.weight().value.data(), conv.bias()->value.data(),
                  y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, conv, l, 1.0);
}

void BM_NaiveForwardBackward(benchmark::State& state) {
  const Level& l = kLevels[state.range(0)];
  Conv3d conv(l.in, l.out, {3, 3, 3}, l.stride, Padding3d::cylindrical, true, 7);
  Tensor x = random_input(l);
  const Shape os = conv.output_shape(x.shape());
  std::vector<float> y(calo::shape_numel(os)), gy(y.size(), 0.01f), gx(x.numel()),
      gw(conv.weight().value.numel());
  const ConvGeom g = geom(l, os);
  for (auto _ : state) {
    naive_forward(g, kBatch, l.out, x.data(), conv.weight().value.data(), conv.bias()->value.data(),
                  y.data());
    naive_backward(g, kBatch, l.out, x.data(), conv.weight().value.data(), gy.data(), gx.data(),
                   gw.data());
    benchmark::DoNotOptimize(gx.data());
  }
  set_counters(state, conv, l, 3.0);
}

// Registered by `--backend cuda` (scripts/gpu_check).
void BM_ConvForwardBackwardGpu(benchmark::State& state) {
  const Level& l = kLevels[state.range(0)];
  Conv3d conv(l.in, l.out, {3, 3, 3}, l.stride, Padding3d::cylindrical, true, 7);
  conv.to(Backend::cuda);
  Tensor x = random_input(l).to(Backend::cuda);
  Tensor y = conv.forward(x, true);
  Tensor g = Tensor(y.shape()).to(Backend::cuda);
  for (auto _ : state) {
    Tensor out = conv.forward(x, true);
    Tensor gx = conv.backward(g);
    benchmark::DoNotOptimize(gx.to_vector().data());  // synchronises
  }
  set_counters(state, conv, l, 3.0);
}

BENCHMARK(BM_ConvForward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaiveForward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ConvForwardBackward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaiveForwardBackward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (calo::perf::take_backend_option(&argc, argv) == Backend::cuda)
    benchmark::RegisterBenchmark("BM_ConvForwardBackwardGpu", BM_ConvForwardBackwardGpu)
        ->Arg(0)
        ->Arg(1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  return calo::perf::run_benchmarks(&argc, argv) ? 0 : 1;
}
