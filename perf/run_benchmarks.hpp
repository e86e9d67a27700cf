#pragma once
// main() of the suites that print their ratios after the run: Google Benchmark's own steps.
#include <benchmark/benchmark.h>

#include "host/runtime_policy.hpp"

namespace calo::perf {

// Runs the registered benchmarks; false when the command line had unknown flags.
// The apps' thread policy (host/runtime_policy.hpp) applies here too, so the figures are the ones a
// user of the apps gets.
inline bool run_benchmarks(int* argc, char** argv) {
  apply_runtime_policy(*argc, argv);
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return false;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return true;
}

}  // namespace calo::perf
