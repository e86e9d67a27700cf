#include "host/nn/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
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

// Writes `bytes` to `path` with write(2) and fsyncs it, so that a full disk or a file-size limit
// (EFBIG; the apps ignore SIGXFSZ) is reported with the system's reason.
void write_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_input("cannot write '{}': {}", path, std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail("write to '{}' failed after {} of {} bytes: {} (disk full or file-size limit?)", path,
           done, bytes.size(), std::strerror(err));
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync of '{}' failed: {}", path, std::strerror(err));
  }
  if (::close(fd) != 0) fail("close of '{}' failed: {}", path, std::strerror(errno));
}

// Makes the renames in `dir` durable.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

std::string encode_named_arrays(const NamedArrays& arrays) {
  std::string out(kMagic, sizeof(kMagic));
  put<uint64_t>(out, arrays.size());
  for (const auto& [name, values] : arrays) {
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out.append(name);
    put<uint64_t>(out, values.size());
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  }
  return out;
}

void write_named_arrays(const std::string& path, const NamedArrays& arrays) {
  write_file(path, encode_named_arrays(arrays));
}

NamedArrays read_named_arrays(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input("cannot open '{}' (incomplete checkpoint?)", path);
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) fail_input("cannot read the size of '{}': {}", path, ec.message());
  char magic[8];
  in.read(magic, sizeof(magic));
  if (!in || std::memcmp(magic, kMagic, sizeof(magic)) != 0)
    fail_input("'{}' is not a calo4pq array file (bad magic)", path);
  const auto count = take<uint64_t>(in, path);
  // Every array takes at least 12 header bytes: a count the file cannot hold is damage.
  if (count > (1u << 20) || count > file_size / 12)
    fail_input("'{}': implausible array count {} for a file of {} bytes (damaged checkpoint)", path,
               count, file_size);
  NamedArrays out;
  for (uint64_t i = 0; i < count; ++i) {
    const auto len = take<uint32_t>(in, path);
    if (len > 4096) fail_input("'{}': implausible name length {} in array {}", path, len, i);
    std::string name(len, '\0');
    in.read(name.data(), len);
    const auto numel = take<uint64_t>(in, path);
    // The declared size must fit in what is left of the file (a damaged header must not make
    // the reader allocate gigabytes).
    const auto pos = static_cast<uint64_t>(in.tellg());
    if (!in || numel > (file_size - std::min(pos, file_size)) / sizeof(float))
      fail_input("'{}' is truncated or damaged: array '{}' declares {} values but {} bytes remain",
                 path, name, numel, file_size - std::min(pos, file_size));
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
  try {
    write_file((tmp / "config.yaml").string(), data.config_text);
    write_file((tmp / "params.bin").string(), encode_named_arrays(data.params));
    write_file((tmp / "optim.bin").string(), encode_named_arrays(data.optimizer));
    write_file((tmp / "state.json").string(), data.state.dump(1));
    sync_dir(tmp);
  } catch (const Error& e) {
    fs::remove_all(tmp, ec);
    fail("checkpoint not written, the previous one in '{}' is unchanged: {}", dir, e.what());
  }
  // DIR and DIR.old are always complete: DIR.old is removed only while DIR exists, or after the
  // new DIR is in place (a crash between the two renames leaves DIR.old, which a resume reads).
  if (fs::exists(final_dir)) {
    fs::remove_all(old, ec);
    fs::rename(final_dir, old, ec);
    if (ec) fail("cannot move old checkpoint '{}' aside: {}", dir, ec.message());
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) fail("cannot move '{}' into place as '{}': {}", tmp.string(), dir, ec.message());
  sync_dir(final_dir.parent_path());
  fs::remove_all(old, ec);
}

bool checkpoint_exists(const std::string& dir) {
  return fs::exists(fs::path(dir) / "state.json") ||
         fs::exists(fs::path(dir + ".old") / "state.json");
}

namespace {
// The directory a checkpoint is read from: DIR, or DIR.old when a crash between the two renames
// left only that (it is complete).
std::string complete_checkpoint_dir(const std::string& dir_in) {
  std::string dir = dir_in;
  if (!fs::exists(fs::path(dir) / "state.json") &&
      fs::exists(fs::path(dir + ".old") / "state.json"))
    dir = dir_in + ".old";
  if (!fs::exists(fs::path(dir) / "state.json"))
    fail_input("no checkpoint in '{}' (state.json missing); train without --resume first", dir_in);
  return dir;
}
}  // namespace

std::string read_checkpoint_config(const std::string& dir_in) {
  return slurp((fs::path(complete_checkpoint_dir(dir_in)) / "config.yaml").string());
}

CheckpointData read_checkpoint(const std::string& dir_in) {
  const std::string dir = complete_checkpoint_dir(dir_in);
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
