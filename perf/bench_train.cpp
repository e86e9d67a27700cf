// Training throughput of configs/quickstart.yaml on the CPU: one epoch of the real trainer
// (encoder + decoder forward/backward, Adam, the RBM prior's centred CD-k update, validation,
// checkpoint) on 640 synthetic showers, reported as training samples per second. The baseline in
// the same run is the same epoch on one thread; main() prints the ratio. `--backend cuda` adds the
// epoch on the GPU and its ratio to the 2-thread CPU epoch.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "host/nn/trainer.hpp"
#include "host/synth/shower_generator.hpp"
#include "perf/backend_option.hpp"
#include "perf/busy_process.hpp"
#include "perf/run_benchmarks.hpp"

namespace {

namespace fs = std::filesystem;
constexpr int kShowers = 640;
std::map<std::pair<int, int>, double> g_samples_per_s;  // (threads, busy) -> samples/s
double g_cuda_samples_per_s = 0;

struct Workspace {
  fs::path dir = fs::temp_directory_path() / ("calo_bench_train_" + std::to_string(getpid()));
  std::string data = (dir / "synth.h5").string();
  std::string config = (dir / "quickstart_1epoch.yaml").string();
  Workspace() {
    fs::create_directories(dir);
    calo::SynthConfig synth;
    synth.seed = 5;
    calo::synthesize_file(data, kShowers, synth, nullptr, false);
    YAML::Node cfg = YAML::LoadFile(std::string(CALO_SOURCE_DIR) + "/configs/quickstart.yaml");
    cfg["training"]["epochs"] = 1;
    cfg["training"]["max_events"] = kShowers;
    std::ofstream(config) << YAML::Dump(cfg) << "\n";
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Workspace& workspace() {
  static Workspace w;
  return w;
}

// samples/s of the training part of the epoch, as calo_train logs it
double train_epochs(benchmark::State& state, int threads, bool busy, calo::Backend backend) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  Workspace& w = workspace();
  double samples = 0, seconds = 0;
  const calo::perf::BusyProcess competitor(busy);
  for (auto _ : state) {
    const std::string out = (w.dir / "run").string();
    fs::remove_all(out);
    calo::nn::TrainOptions o;
    o.config_path = w.config;
    o.data_path = w.data;
    o.out_dir = out;
    o.progress = false;
    o.backend = backend;
    const calo::nn::TrainResult r = calo::nn::train(o);
    const auto& e = r.history.at(0);
    samples += e.samples_per_s * e.seconds;
    seconds += e.seconds;
  }
  omp_set_num_threads(saved);
  state.counters["samples/s"] = samples / seconds;
  return samples / seconds;
}

void BM_TrainEpoch(benchmark::State& state) {
  const int threads = int(state.range(0));
  const int busy = int(state.range(1));
  g_samples_per_s[{threads, busy}] = train_epochs(state, threads, busy != 0, calo::Backend::cpu);
}

// The host threads still run data loading, validation diagnostics and the checkpoint.
void BM_TrainEpochCuda(benchmark::State& state) {
  g_cuda_samples_per_s = train_epochs(state, int(state.range(0)), false, calo::Backend::cuda);
}

BENCHMARK(BM_TrainEpoch)
    ->ArgNames({"threads", "busy"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({2, 1})
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace

int main(int argc, char** argv) {
  if (calo::perf::take_backend_option(&argc, argv) == calo::Backend::cuda)
    benchmark::RegisterBenchmark("BM_TrainEpochCuda", BM_TrainEpochCuda)
        ->ArgNames({"threads"})
        ->Arg(2)
        ->Unit(benchmark::kSecond)
        ->UseRealTime()
        ->Iterations(2);
  if (!calo::perf::run_benchmarks(&argc, argv)) return 1;
  auto& r = g_samples_per_s;
  if (g_cuda_samples_per_s > 0 && r.count({2, 0}))
    std::printf("quickstart training on cuda: %.1f samples/s, %.2fx the 2-thread CPU epoch\n",
                g_cuda_samples_per_s, g_cuda_samples_per_s / r[{2, 0}]);
  if (r.count({1, 0}) && r.count({2, 0}))
    std::printf(
        "quickstart training: %.1f samples/s on 2 threads, %.1f on 1 thread (baseline), "
        "ratio %.2fx\n",
        r[{2, 0}], r[{1, 0}], r[{2, 0}] / r[{1, 0}]);
  if (r.count({2, 0}) && r.count({2, 1}))
    std::printf(
        "beside one busy process: %.1f samples/s on 2 threads, %.2f of the quiet rate (cores left: "
        "%.2f of %ld)\n",
        r[{2, 1}], r[{2, 1}] / r[{2, 0}],
        double(sysconf(_SC_NPROCESSORS_ONLN) - 1) / double(sysconf(_SC_NPROCESSORS_ONLN)),
        sysconf(_SC_NPROCESSORS_ONLN));
  return 0;
}
