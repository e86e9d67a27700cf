#pragma once
// main() of the suites that print their ratios after the run: Google Benchmark's own steps.
#include <benchmark/benchmark.h>

namespace calo::perf {

// Runs the registered benchmarks; false when the command line had unknown flags.
inline bool run_benchmarks(int* argc, char** argv) {
  benchmark::Initialize(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(*argc, argv)) return false;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return true;
}

}  // namespace calo::perf
