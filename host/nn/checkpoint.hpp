#pragma once
// Training checkpoints: a directory written atomically (DIR.tmp, then renamed over DIR) holding
//   config.yaml   the training configuration (verbatim)
//   params.bin    model parameters and buffers (named float arrays)
//   optim.bin     Adam state (named float arrays)
//   state.json    epoch position, schedule position, running sums and the metric history
// Named-array files: "CALOARR1", u64 count, then per array: u32 name length, name, u64 numel,
// numel little-endian floats.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::nn {

using NamedArrays = std::vector<std::pair<std::string, std::vector<float>>>;

void write_named_arrays(const std::string& path, const NamedArrays& arrays);
NamedArrays read_named_arrays(const std::string& path);

struct CheckpointData {
  std::string config_text;
  NamedArrays params;
  NamedArrays optimizer;
  nlohmann::json state;
};

// Writes DIR.tmp and renames it over DIR (the previous DIR stays complete until the rename).
void write_checkpoint(const std::string& dir, const CheckpointData& data);
CheckpointData read_checkpoint(const std::string& dir);
bool checkpoint_exists(const std::string& dir);

}  // namespace calo::nn
