#pragma once
// CaloChallenge shower files (HDF5): `incident_energies` (N, 1) MeV and `showers` (N, V) MeV.
// Reading streams row blocks (a 100k x 6480 file never has to be in memory twice); every block is
// validated and a bad value is reported with file, dataset and row. Writing goes to a temporary
// file, chunked and gzip-compressed, renamed into place by close(): an interrupted run never leaves
// a truncated file under the final name.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace calo {

struct ShowerBlock {
  int64_t first_row = 0;
  int64_t rows = 0;
  int num_voxels = 0;
  std::vector<float> energies;  // rows
  std::vector<float> showers;   // rows * num_voxels, row-major
};

class ShowerFileReader {
 public:
  // expected_voxels > 0 checks the shower width against a geometry.
  explicit ShowerFileReader(const std::string& path, int expected_voxels = 0);
  ~ShowerFileReader();
  ShowerFileReader(const ShowerFileReader&) = delete;
  ShowerFileReader& operator=(const ShowerFileReader&) = delete;

  const std::string& path() const { return path_; }
  int64_t num_events() const { return num_events_; }
  int num_voxels() const { return num_voxels_; }

  // Reads rows [first, first + count) into `block` (resized), validating every value.
  void read(int64_t first, int64_t count, ShowerBlock& block) const;
  ShowerBlock read(int64_t first, int64_t count) const;
  std::vector<float> read_energies() const;  // all incident energies, validated

 private:
  struct Handles;
  std::string path_;
  std::unique_ptr<Handles> h_;
  int64_t num_events_ = 0;
  int num_voxels_ = 0;
};

class ShowerFileWriter {
 public:
  ShowerFileWriter(const std::string& path, int num_voxels, int chunk_rows = 256,
                   int gzip_level = 4);
  ~ShowerFileWriter();  // without close(), the temporary file is removed
  ShowerFileWriter(const ShowerFileWriter&) = delete;
  ShowerFileWriter& operator=(const ShowerFileWriter&) = delete;

  void append(std::span<const float> energies, std::span<const float> showers);
  void close();  // flushes and renames the temporary file to `path`
  int64_t rows_written() const { return rows_; }

 private:
  struct Handles;
  std::string path_;
  std::string tmp_path_;
  std::unique_ptr<Handles> h_;
  int num_voxels_;
  int64_t rows_ = 0;
};

// Convenience: read a whole file.
ShowerBlock read_shower_file(const std::string& path, int expected_voxels = 0);
void write_shower_file(const std::string& path, std::span<const float> energies,
                       std::span<const float> showers, int num_voxels);

}  // namespace calo
