// Generation cost per shower for the quickstart-size model (weights need not be trained: the cost
// does not depend on their values): decoder alone, and end to end (RBM prior by block Gibbs,
// decoder, inverse transform). scripts/bench compares EndToEnd's us_per_shower with the published
// anchors (QPU 181 us/shower, classical A100 prior 2 ms/shower, ...). `--backend cuda` adds both
// on the GPU: BM_EndToEndCuda as calo_gen runs a block (the prior's states stay on the device, a
// kernel builds the decoder's rows, the inverse transform runs there, only the showers come
// down), beside BM_EndToEndHostStatesCuda, calo_gen's block before (the states downloaded, then
// uploaded as the decoder's input), as its baseline in the same run.
#include <benchmark/benchmark.h>

#include "perf/backend_option.hpp"
#include "perf/busy_process.hpp"
#include "perf/run_benchmarks.hpp"

#include <vector>

#include "host/inverse_transform.hpp"
#include "host/nn/model.hpp"
#include "host/topology/graph.hpp"
#include "kernels/gen/latent_rows_launch.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"
#include "samplers/prior_sampler.hpp"
#include "samplers/rbm.hpp"

namespace {

struct Setup {
  calo::nn::Calo4pQVAE model{calo::nn::ModelConfig{}};
  calo::Rbm rbm;
  std::vector<float> energies;
  Setup(int batch, calo::Backend backend) {
    model.to(backend);
    rbm = calo::Rbm::from_graph(calo::zephyr_graph(2, 2), model.config().n);
    rbm.init_random(1, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.1f);
    for (int i = 0; i < batch; ++i)
      energies.push_back(1e3f * std::pow(1e3f, calo::uniform(2, 0, uint64_t(i))));
  }
};

void decoder(benchmark::State& state, calo::Backend backend) {
  const int batch = static_cast<int>(state.range(0));
  Setup s(batch, backend);
  const calo::perf::BusyProcess competitor(state.range(1) != 0);
  auto prior = calo::make_gibbs_prior_sampler(calo::Backend::cpu, 10);
  const std::vector<uint8_t> z = prior->sample(s.rbm, s.energies, 1);
  uint64_t seed = 0;
  // On the GPU the showers are copied to the host: that is where calo_gen needs them, and it
  // times the run to its end.
  const auto run = [&](uint64_t sd) {
    const calo::Tensor u = s.model.decode(z, s.energies, sd, 0);
    if (backend == calo::Backend::cuda)
      benchmark::DoNotOptimize(u.to_vector().data());
    else
      benchmark::DoNotOptimize(u.data());
  };
  run(seed);  // warm-up: allocations
  for (auto _ : state) run(++seed);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["us_per_shower"] =
      benchmark::Counter(double(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kInvert);
}

void BM_Decoder(benchmark::State& state) {
  decoder(state, calo::Backend::cpu);
}
void BM_DecoderCuda(benchmark::State& state) {
  decoder(state, calo::Backend::cuda);
}

// sweeps = state.range(1): the prior's share grows with it; BM_Decoder is the decoder-only
// baseline.
void end_to_end(benchmark::State& state, calo::Backend backend) {
  const int batch = static_cast<int>(state.range(0));
  const int sweeps = static_cast<int>(state.range(1));
  Setup s(batch, backend);
  auto prior = calo::make_gibbs_prior_sampler(backend, sweeps);
  std::vector<float> showers;
  uint64_t seed = 0;
  benchmark::DoNotOptimize(
      s.model.decode(prior->sample(s.rbm, s.energies, seed), s.energies, seed, 0)
          .to_vector()
          .data());  // warm-up: allocations
  for (auto _ : state) {
    const std::vector<uint8_t> z = prior->sample(s.rbm, s.energies, ++seed);
    if (backend == calo::Backend::cuda) {  // the inverse transform on the device, as calo_gen
      const calo::StreamScope on_stream(s.model.cuda_stream());
      benchmark::DoNotOptimize(
          calo::u_to_voxels(s.model.decode(z, s.energies, seed, 0), s.energies).to_vector().data());
      continue;
    }
    const std::vector<float> u = s.model.decode(z, s.energies, seed, 0).to_vector();
    showers.resize(u.size());
    for (size_t k = 0; k < u.size(); ++k)
      showers[k] = calo::u_to_voxel(u[k], s.energies[k / calo::nn::kVoxels]);
    benchmark::DoNotOptimize(showers.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["us_per_shower"] =
      benchmark::Counter(double(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kInvert);
}

// calo_gen's CUDA block (host/gen/generator.cpp) as one decode chunk of `batch` rows.
void end_to_end_device(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const int sweeps = static_cast<int>(state.range(1));
  Setup s(batch, calo::Backend::cuda);
  auto prior = calo::make_gibbs_prior_sampler(calo::Backend::cuda, sweeps);
  const int units = 4 * s.model.config().n;
  uint64_t seed = 0;
  const auto run = [&](uint64_t sd) {
    const calo::StreamScope on_stream(s.model.cuda_stream());
    const calo::DeviceLatents z = prior->sample_device(s.rbm, s.energies, sd, 0);
    calo::Tensor rows = calo::Tensor::empty({batch, units}, calo::Backend::cuda);
    calo::latent_rows_cuda(z.node_major.data(), z.chains, units, 0, batch, 0, batch, 0,
                           rows.data());
    return calo::u_to_voxels(s.model.decode(rows, s.energies, sd, 0), s.energies).to_vector();
  };
  benchmark::DoNotOptimize(run(seed).data());  // warm-up: allocations
  for (auto _ : state) benchmark::DoNotOptimize(run(++seed).data());
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["us_per_shower"] =
      benchmark::Counter(double(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kInvert);
}

void BM_EndToEnd(benchmark::State& state) {
  end_to_end(state, calo::Backend::cpu);
}
void BM_EndToEndHostStatesCuda(benchmark::State& state) {
  end_to_end(state, calo::Backend::cuda);
}
void BM_EndToEndCuda(benchmark::State& state) {
  end_to_end_device(state);
}

}  // namespace

// A call takes about 0.5 s: MinTime keeps several timed calls even under scripts/bench's short
// --benchmark_min_time.
BENCHMARK(BM_Decoder)
    ->ArgNames({"batch", "busy"})
    ->Args({256, 0})
    ->Args({1024, 0})
    ->Args({256, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);
BENCHMARK(BM_EndToEnd)
    ->Args({256, 100})
    ->Args({256, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);
int main(int argc, char** argv) {
  if (calo::perf::take_backend_option(&argc, argv) == calo::Backend::cuda) {
    benchmark::RegisterBenchmark("BM_DecoderCuda", BM_DecoderCuda)
        ->ArgNames({"batch"})
        ->Arg(256)
        ->Arg(1024)
        ->Arg(4096)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
    benchmark::RegisterBenchmark("BM_EndToEndCuda", BM_EndToEndCuda)
        ->Args({256, 100})
        ->Args({256, 1000})
        ->Args({4096, 1000})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
    benchmark::RegisterBenchmark("BM_EndToEndHostStatesCuda", BM_EndToEndHostStatesCuda)
        ->Args({256, 100})
        ->Args({4096, 1000})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
  }
  return calo::perf::run_benchmarks(&argc, argv) ? 0 : 1;
}
