// Generation cost per shower for the quickstart-size model (weights need not be trained: the cost
// does not depend on their values): decoder alone, and end to end (RBM prior by block Gibbs,
// decoder, inverse transform). scripts/bench compares EndToEnd's us_per_shower with the published
// anchors (QPU 181 us/shower, classical A100 prior 2 ms/shower, ...).
#include <benchmark/benchmark.h>

#include "perf/busy_process.hpp"
#include "perf/run_benchmarks.hpp"

#include <vector>

#include "host/nn/model.hpp"
#include "host/topology/graph.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"
#include "samplers/prior_sampler.hpp"
#include "samplers/rbm.hpp"

namespace {

struct Setup {
  calo::nn::Calo4pQVAE model{calo::nn::ModelConfig{}};
  calo::Rbm rbm;
  std::vector<float> energies;
  explicit Setup(int batch) {
    rbm = calo::Rbm::from_graph(calo::zephyr_graph(2, 2), model.config().n);
    rbm.init_random(1, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.1f);
    for (int i = 0; i < batch; ++i)
      energies.push_back(1e3f * std::pow(1e3f, calo::uniform(2, 0, uint64_t(i))));
  }
};

void BM_Decoder(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  Setup s(batch);
  const calo::perf::BusyProcess competitor(state.range(1) != 0);
  auto prior = calo::make_gibbs_prior_sampler(calo::Backend::cpu, 10);
  const std::vector<uint8_t> z = prior->sample(s.rbm, s.energies, 1);
  uint64_t seed = 0;
  benchmark::DoNotOptimize(s.model.decode(z, s.energies, seed, 0).data());  // warm-up: allocations
  for (auto _ : state) benchmark::DoNotOptimize(s.model.decode(z, s.energies, ++seed, 0).data());
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["us_per_shower"] =
      benchmark::Counter(double(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate |
                                                   benchmark::Counter::kInvert);
}

// sweeps = state.range(1): the prior's share grows with it; BM_Decoder is the decoder-only
// baseline.
void BM_EndToEnd(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const int sweeps = static_cast<int>(state.range(1));
  Setup s(batch);
  auto prior = calo::make_gibbs_prior_sampler(calo::Backend::cpu, sweeps);
  std::vector<float> showers;
  uint64_t seed = 0;
  benchmark::DoNotOptimize(
      s.model.decode(prior->sample(s.rbm, s.energies, seed), s.energies, seed, 0)
          .data());  // warm-up: allocations
  for (auto _ : state) {
    const std::vector<uint8_t> z = prior->sample(s.rbm, s.energies, ++seed);
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
  return calo::perf::run_benchmarks(&argc, argv) ? 0 : 1;
}
