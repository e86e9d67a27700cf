// Block Gibbs sweeps of the Z(6,4) 4 x 302 RBM: sparse neighbour-list CPU path vs the dense
// masked-GEMM (OpenBLAS) baseline, 1k-16k chains, in the same run; `--backend cuda` adds the CUDA
// kernels (1k-64k chains) and their ratio to the sparse CPU path. Reports spin updates per ns
// (3 x 302 x chains updates per sweep) and prints the sparse/dense ratio per chain count. Each
// timed call runs kSweepsPerCall sweeps, as a CD-10 step of training does (generation runs
// thousands per call).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "perf/backend_option.hpp"
#include "perf/run_benchmarks.hpp"
#include "samplers/gibbs.hpp"

namespace {

constexpr int kSweepsPerCall = 10;
std::map<std::pair<int, int>, double> g_rate;  // (path, chains) -> updates/ns

const calo::Rbm& rbm() {
  static const calo::Rbm r = [] {
    calo::Rbm x = calo::Rbm::from_graph(calo::zephyr_graph(6, 4), 302);
    x.init_random(1, {0.3f, 0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, 0.3f);
    return x;
  }();
  return r;
}

void BM_Gibbs(benchmark::State& state) {
  const auto path = static_cast<calo::GibbsPath>(state.range(0));
  const int chains = int(state.range(1));
  calo::BlockGibbsSampler g(rbm(), chains, 7, path);
  g.randomize(3);
  const double updates_per_call = 3.0 * rbm().n() * chains * kSweepsPerCall;
  double total_ns = 0, total_updates = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    g.run(kSweepsPerCall, 1.0f);
    total_ns += double(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    total_updates += updates_per_call;
  }
  state.counters["updates/ns"] = total_updates / total_ns;
  g_rate[{int(state.range(0)), chains}] = total_updates / total_ns;
}

BENCHMARK(BM_Gibbs)
    ->ArgNames({"path", "chains"})
    ->ArgsProduct({{int(calo::GibbsPath::cpu_sparse), int(calo::GibbsPath::cpu_dense)},
                   {1024, 4096, 16384}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  const bool cuda = calo::perf::take_backend_option(&argc, argv) == calo::Backend::cuda;
  const std::vector<int> cuda_chains = {1024, 4096, 16384, 65536};
  if (cuda)
    for (int chains : cuda_chains)
      benchmark::RegisterBenchmark("BM_Gibbs", BM_Gibbs)
          ->ArgNames({"path", "chains"})
          ->Args({int(calo::GibbsPath::cuda), chains})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  if (!calo::perf::run_benchmarks(&argc, argv)) return 1;
  for (int chains : cuda_chains) {
    const auto c = g_rate.find({int(calo::GibbsPath::cuda), chains});
    const auto s = g_rate.find({int(calo::GibbsPath::cpu_sparse), chains});
    if (c == g_rate.end()) continue;
    if (s == g_rate.end())
      std::printf("chains %5d: cuda %.3f updates/ns\n", chains, c->second);
    else
      std::printf("chains %5d: cuda %.3f updates/ns, sparse %.3f, cuda/sparse = %.1fx\n", chains,
                  c->second, s->second, c->second / s->second);
  }
  for (int chains : {1024, 4096, 16384}) {
    const auto s = g_rate.find({int(calo::GibbsPath::cpu_sparse), chains});
    const auto d = g_rate.find({int(calo::GibbsPath::cpu_dense), chains});
    if (s != g_rate.end() && d != g_rate.end())
      std::printf(
          "chains %5d: sparse %.3f updates/ns, dense %.3f updates/ns, sparse/dense = %.1fx\n",
          chains, s->second, d->second, s->second / d->second);
  }
  return 0;
}
