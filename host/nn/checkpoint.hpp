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

std::string encode_named_arrays(const NamedArrays& arrays);  // the bytes of a named-array file
// Written with write(2) and fsynced; a full disk or a file-size limit is an Error naming the path.
void write_named_arrays(const std::string& path, const NamedArrays& arrays);
// Every declared size is checked against the file's length before anything is allocated.
NamedArrays read_named_arrays(const std::string& path);

struct CheckpointData {
  std::string config_text;
  NamedArrays params;
  NamedArrays optimizer;
  nlohmann::json state;
};

// Writes DIR.tmp (every file fsynced) and renames it over DIR; the previous DIR stays complete
// until the rename, and on a write failure (disk full, file-size limit) it is left untouched.
void write_checkpoint(const std::string& dir, const CheckpointData& data);
CheckpointData read_checkpoint(const std::string& dir);
// The config.yaml of the checkpoint read_checkpoint would read, without its arrays (which at the
// dataset2_zephyr size are 1.5 GB with the optimizer's moments).
std::string read_checkpoint_config(const std::string& dir);
bool checkpoint_exists(const std::string& dir);

}  // namespace calo::nn
