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
#include "tests/toy_showers.hpp"

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
    calo::testing::write_toy_showers(data, rows);
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
