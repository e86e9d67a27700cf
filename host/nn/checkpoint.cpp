#include "host/nn/checkpoint.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "host/error.hpp"
#include "host/text_file.hpp"

namespace calo::nn {
namespace fs = std::filesystem;
namespace {
constexpr char kMagic[8] = {'C', 'A', 'L', 'O', 'A', 'R', 'R', '1'};

template <typename T>
void put(std::ofstream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
template <typename T>
T take(std::ifstream& in, const std::string& path) {
  T v{};
  in.read(reinterpret_cast<char*>(&v), sizeof(T));
  if (!in)
    fail_input("'{}' is truncated; the checkpoint is damaged (delete it to start over)", path);
  return v;
}

std::string slurp(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) fail_input("cannot read '{}' (incomplete checkpoint?)", path);
  return std::move(*text);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.flush();
  if (!out) fail("write to '{}' failed (disk full?)", path);
}
}  // namespace

void write_named_arrays(const std::string& path, const NamedArrays& arrays) {
  std::ofstream out(path, std::ios::binary);
  if (!out) fail_input("cannot write '{}' (directory missing or not writable?)", path);
  out.write(kMagic, sizeof(kMagic));
  put<uint64_t>(out, arrays.size());
  for (const auto& [name, values] : arrays) {
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out.write(name.data(), static_cast<std::streamsize>(name.size()));
    put<uint64_t>(out, values.size());
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(float)));
  }
  out.flush();
  if (!out) fail("write to '{}' failed (disk full?)", path);
}

NamedArrays read_named_arrays(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input("cannot open '{}' (incomplete checkpoint?)", path);
  char magic[8];
  in.read(magic, sizeof(magic));
  if (!in || std::memcmp(magic, kMagic, sizeof(magic)) != 0)
    fail_input("'{}' is not a calo4pq array file (bad magic)", path);
  const auto count = take<uint64_t>(in, path);
  if (count > (1u << 20)) fail_input("'{}': implausible array count {}", path, count);
  NamedArrays out;
  for (uint64_t i = 0; i < count; ++i) {
    const auto len = take<uint32_t>(in, path);
    if (len > 4096) fail_input("'{}': implausible name length {} in array {}", path, len, i);
    std::string name(len, '\0');
    in.read(name.data(), len);
    const auto numel = take<uint64_t>(in, path);
    if (numel > (uint64_t{1} << 32))
      fail_input("'{}': implausible size {} of '{}'", path, numel, name);
    std::vector<float> v(numel);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(numel * sizeof(float)));
    if (!in) fail_input("'{}' is truncated in array '{}'", path, name);
    out.emplace_back(std::move(name), std::move(v));
  }
  return out;
}

void write_checkpoint(const std::string& dir, const CheckpointData& data) {
  const fs::path final_dir(dir), tmp(dir + ".tmp"), old(dir + ".old");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) fail_input("cannot create checkpoint directory '{}': {}", tmp.string(), ec.message());
  write_text((tmp / "config.yaml").string(), data.config_text);
  write_named_arrays((tmp / "params.bin").string(), data.params);
  write_named_arrays((tmp / "optim.bin").string(), data.optimizer);
  write_text((tmp / "state.json").string(), data.state.dump(1));
  fs::remove_all(old, ec);
  if (fs::exists(final_dir)) {
    fs::rename(final_dir, old, ec);
    if (ec) fail("cannot move old checkpoint '{}' aside: {}", dir, ec.message());
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) fail("cannot move '{}' into place as '{}': {}", tmp.string(), dir, ec.message());
  fs::remove_all(old, ec);
}

bool checkpoint_exists(const std::string& dir) {
  return fs::exists(fs::path(dir) / "state.json") ||
         fs::exists(fs::path(dir + ".old") / "state.json");
}

CheckpointData read_checkpoint(const std::string& dir_in) {
  std::string dir = dir_in;
  // A crash between the two renames leaves only DIR.old: it is complete.
  if (!fs::exists(fs::path(dir) / "state.json") &&
      fs::exists(fs::path(dir + ".old") / "state.json"))
    dir = dir_in + ".old";
  if (!fs::exists(fs::path(dir) / "state.json"))
    fail_input("no checkpoint in '{}' (state.json missing); train without --resume first", dir_in);
  CheckpointData d;
  d.config_text = slurp((fs::path(dir) / "config.yaml").string());
  d.params = read_named_arrays((fs::path(dir) / "params.bin").string());
  d.optimizer = read_named_arrays((fs::path(dir) / "optim.bin").string());
  try {
    d.state = nlohmann::json::parse(slurp((fs::path(dir) / "state.json").string()));
  } catch (const nlohmann::json::exception& e) {
    fail_input("'{}/state.json' is not valid JSON: {}", dir, e.what());
  }
  return d;
}

}  // namespace calo::nn
