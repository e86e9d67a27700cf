#pragma once
// A tiny training setup shared by the app-level tests: 80 toy showers (Dataset-2 width) and a
// small model config, in a per-process temporary directory.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/h5io.hpp"
#include "kernels/philox.hpp"

namespace calo::testing {

inline std::string tiny_config(int epochs) {
  return "model:\n"
         "  nodes_per_partition: 8\n"
         "  encoder_channels: 2\n"
         "  decoder_channels: 2\n"
         "  init_seed: 3\n"
         "training:\n"
         "  seed: 11\n"
         "  epochs: " +
         std::to_string(epochs) +
         "\n"
         "  batch_size: 16\n"
         "  learning_rate: 0.03\n"
         "  train_fraction: 0.8\n"
         "  test_fraction: 0.0\n"
         "  kl_weight: 0.5\n"
         "  freeze_after_epoch: 2\n"
         "prior:\n"
         "  cd_sweeps: 2\n";
}

struct AppFixture {
  std::filesystem::path dir;
  std::string data;
  explicit AppFixture(const std::string& name, int rows = 80) {
    dir = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    data = (dir / "showers.h5").string();
    const int nv = 6480;
    std::vector<float> e(static_cast<size_t>(rows)), x(static_cast<size_t>(rows) * nv, 0.0f);
    for (int i = 0; i < rows; ++i) {
      e[size_t(i)] = float(1e3 * std::pow(100.0, calo::uniform(5, 1, uint64_t(i))));
      for (int v = 0; v < nv; ++v) {
        const int l = v / 144, r = v % 9;
        const uint64_t k = uint64_t(i) * nv + uint64_t(v);
        if (calo::uniform(5, 2, k) > 0.3f) continue;
        const double prof = std::exp(-0.5 * (l - 15.0) * (l - 15.0) / 36.0) * std::exp(-0.7 * r);
        x[k] = float(e[size_t(i)] * 0.01 * prof * (0.5 + calo::uniform(5, 3, k)));
      }
    }
    calo::write_shower_file(data, e, x, nv);
  }
  ~AppFixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write_config(int epochs, const std::string& name = "config.yaml") const {
    const std::string p = (dir / name).string();
    std::ofstream(p) << tiny_config(epochs);
    return p;
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

}  // namespace calo::testing
