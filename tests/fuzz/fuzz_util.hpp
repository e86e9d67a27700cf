#pragma once
// Helpers for the fuzz targets: parsers that read a path get the input as a file in a per-process
// scratch directory; parse errors the project reports (calo::Error and its subclasses) are the
// expected outcome, anything else (another exception, a sanitizer report, a crash) is a finding.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "host/error.hpp"

namespace calo::fuzz {

// Removed at exit (a crash leaves it behind, with the input that caused it).
struct ScratchDir {
  std::filesystem::path path;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::filesystem::path scratch_dir() {
  static const ScratchDir dir{[] {
    const char* shm = "/dev/shm";
    std::filesystem::path base =
        std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path();
    auto d = base / ("calo_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }()};
  return dir.path;
}

// Writes the input to <scratch>/<name> and returns the path.
inline std::string write_input(std::string_view name, const uint8_t* data, size_t size) {
  const auto path = scratch_dir() / std::string(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace calo::fuzz
