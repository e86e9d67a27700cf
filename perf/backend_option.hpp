#pragma once
// `--backend cpu|cuda` on the benchmark command lines (scripts/gpu_check passes cuda). The flag is
// taken out of argv before Google Benchmark parses it; cuda is checked up front, so a machine
// without a usable GPU stops with one line instead of timing nothing.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "host/backend.hpp"

namespace calo::perf {

// Removes `--backend X` / `--backend=X` from argv and returns X (cpu when absent). Exits 1 with a
// one-line error on an unknown name or when cuda cannot run here.
inline Backend take_backend_option(int* argc, char** argv) {
  std::string name = "cpu";
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strcmp(argv[i], "--backend") == 0 && i + 1 < *argc) {
      name = argv[++i];
    } else if (std::strncmp(argv[i], "--backend=", 10) == 0) {
      name = argv[i] + 10;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  try {
    const Backend b = parse_backend(name);
    require_backend(b);
    return b;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    std::exit(1);
  }
}

}  // namespace calo::perf
