#include "host/h5io.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include "host/error.hpp"
#include "host/memory_limit.hpp"

namespace calo {

namespace {

// libhdf5 1.10.8 crashes (SIGSEGV in H5F__close_cb) when its atexit cleanup meets a file whose
// H5Fclose failed, as it does after a write hit a full disk or a file-size limit. Every file is
// closed explicitly here, so the cleanup is skipped; this must run before HDF5 initialises, hence
// a static initialiser.
[[maybe_unused]] const bool g_hdf5_no_atexit = H5dont_atexit() >= 0;

// HDF5 prints its own error stack to stderr by default; we report our own messages instead.
void silence_hdf5() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

// RAII for an hid_t with its matching close function.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t get() const { return id_; }
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

std::vector<hsize_t> dims_of(hid_t dataset) {
  Hid space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::string dims_string(const std::vector<hsize_t>& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + ")";
}

// Names in the root group (at most 32), for error messages. H5Literate2 rather than
// H5Gget_info + H5Lget_name_by_idx: the latter crashes libhdf5 1.10.8 on some damaged files
// (tests/fuzz/regressions/h5_showers/).
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* user) {
  auto* keys = static_cast<std::vector<std::string>*>(user);
  keys->emplace_back(name);
  return keys->size() >= 32 ? 1 : 0;
}

std::vector<std::string> root_keys(hid_t file) {
  std::vector<std::string> keys;
  hsize_t idx = 0;
  H5Literate(file, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_name, &keys);
  return keys;
}

bool is_hdf5(const std::string& path) {
#if H5_VERSION_GE(1, 12, 0)
  return H5Fis_accessible(path.c_str(), H5P_DEFAULT) > 0;
#else
  return H5Fis_hdf5(path.c_str()) > 0;
#endif
}

// libhdf5 trusts a dataset's header when it reads: a damaged element type or storage size makes
// H5Dread allocate gigabytes or memcpy from NULL (tests/fuzz/regressions/h5_showers/). Checks
// the header against the file before any read so a damaged file is an input error.
void check_storage(hid_t file, hid_t dataset, const std::string& path, const char* name) {
  const auto dims = dims_of(dataset);
  Hid type(H5Dget_type(dataset), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());
  const size_t precision = H5Tget_precision(type.get());
  bool type_ok = (cls == H5T_FLOAT || cls == H5T_INTEGER) &&
                 (size == 1 || size == 2 || size == 4 || size == 8) && precision > 0 &&
                 precision <= 8 * size;
  if (type_ok && cls == H5T_FLOAT) {
    size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
    type_ok = H5Tget_fields(type.get(), &spos, &epos, &esize, &mpos, &msize) >= 0 &&
              spos < precision && esize > 0 && epos + esize <= precision &&
              mpos + msize <= precision;
  }
  if (!type_ok) {
    fail_input(
        "{}: dataset '{}' stores elements of {} bytes that are not plain floating-point or "
        "integer numbers (damaged file?)",
        path, name, size);
  }
  double elements = 1.0;
  for (const hsize_t d : dims) elements *= double(d);
  const double expected = elements * double(size);

  Hid dcpl(H5Dget_create_plist(dataset), H5Pclose);
  hsize_t file_size = 0;
  H5Fget_filesize(file, &file_size);
  const double stored = double(H5Dget_storage_size(dataset));
  switch (H5Pget_layout(dcpl.get())) {
    case H5D_COMPACT:
      if (stored != expected) {
        fail_input("{}: dataset '{}' holds {} bytes but its shape {} needs {} (damaged file?)",
                   path, name, stored, dims_string(dims), expected);
      }
      break;
    case H5D_CONTIGUOUS: {
      const haddr_t offset = H5Dget_offset(dataset);
      if (offset == HADDR_UNDEF) break;  // never written: reads give the fill value
      if (stored != expected || double(offset) + stored > double(file_size)) {
        fail_input(
            "{}: dataset '{}' claims {} bytes at offset {} in a file of {} bytes, shape {} "
            "needs {} (damaged or truncated file?)",
            path, name, stored, offset, file_size, dims_string(dims), expected);
      }
      break;
    }
    case H5D_CHUNKED: {
      std::vector<hsize_t> chunk(dims.size());
      const int rank = H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
      double chunk_bytes = double(size);
      for (const hsize_t c : chunk) chunk_bytes *= double(c);
      if (rank != static_cast<int>(dims.size()) ||
          std::find(chunk.begin(), chunk.end(), hsize_t{0}) != chunk.end() ||
          chunk_bytes > double(1u << 30)) {
        fail_input("{}: dataset '{}' declares chunks of {} bytes (damaged file?)", path, name,
                   chunk_bytes);
      }
      break;
    }
    case H5D_VIRTUAL:
      break;
    default:
      fail_input("{}: dataset '{}' has an unknown storage layout (damaged file?)", path, name);
  }
  const int filters = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, config = 0;
    size_t nvalues = 0;
    char filter_name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &nvalues,
                                           nullptr, sizeof filter_name, filter_name, &config);
    if (id < 0 || H5Zfilter_avail(id) <= 0) {
      fail_input(
          "{}: dataset '{}' is compressed with HDF5 filter {} ('{}'), which this libhdf5 cannot "
          "decode (rewrite the file with gzip or no compression)",
          path, name, int(id), filter_name);
    }
  }
}

// Reads rows [first, first+count) of a 2-D (or 1-D) dataset as float.
void read_rows(hid_t dataset, const std::string& file, const char* name, int64_t first,
               int64_t count, int64_t width, float* out) {
  Hid space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  hsize_t start[2] = {static_cast<hsize_t>(first), 0};
  hsize_t cnt[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(width)};
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr);
  Hid mem(H5Screate_simple(rank, cnt, nullptr), H5Sclose);
  if (H5Dread(dataset, H5T_NATIVE_FLOAT, mem.get(), space.get(), H5P_DEFAULT, out) < 0) {
    fail_input("{}: cannot read rows {}..{} of dataset '{}' (file damaged or truncated?)", file,
               first, first + count - 1, name);
  }
}

}  // namespace

struct ShowerFileReader::Handles {
  Hid file, energies, showers;
};

ShowerFileReader::ShowerFileReader(const std::string& path, int expected_voxels)
    : path_(path), h_(std::make_unique<Handles>()) {
  silence_hdf5();
  if (!std::filesystem::exists(path)) fail_input("shower file '{}' does not exist", path);
  if (!is_hdf5(path)) fail_input("'{}' is not an HDF5 file", path);
  h_->file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!h_->file.valid()) fail_input("cannot open HDF5 file '{}'", path);

  for (const char* key : {"incident_energies", "showers"}) {
    // H5Lexists first: listing every key (H5Gget_info) walks the whole group and crashes
    // libhdf5 1.10.8 on some damaged files (tests/fuzz/regressions/h5_showers/); only an error
    // lists.
    if (H5Lexists(h_->file.get(), key, H5P_DEFAULT) <= 0) {
      const auto keys = root_keys(h_->file.get());
      std::string present;
      for (const auto& k : keys) present += (present.empty() ? "" : ", ") + k;
      fail_input(
          "{}: dataset '{}' is missing (the file has: {}); a CaloChallenge file needs "
          "'incident_energies' (N,1) and 'showers' (N,voxels)",
          path, key, present.empty() ? "nothing" : present);
    }
  }
  h_->energies = Hid(H5Dopen2(h_->file.get(), "incident_energies", H5P_DEFAULT), H5Dclose);
  h_->showers = Hid(H5Dopen2(h_->file.get(), "showers", H5P_DEFAULT), H5Dclose);
  if (!h_->energies.valid() || !h_->showers.valid())
    fail_input("{}: cannot open the datasets", path);
  check_storage(h_->file.get(), h_->energies.get(), path, "incident_energies");
  check_storage(h_->file.get(), h_->showers.get(), path, "showers");

  const auto ed = dims_of(h_->energies.get());
  const auto sd = dims_of(h_->showers.get());
  if (!(ed.size() == 1 || (ed.size() == 2 && ed[1] == 1))) {
    fail_input("{}: 'incident_energies' has shape {}, expected (N, 1)", path, dims_string(ed));
  }
  if (sd.size() != 2)
    fail_input("{}: 'showers' has shape {}, expected (N, voxels)", path, dims_string(sd));
  if (ed[0] != sd[0]) {
    fail_input("{}: 'incident_energies' has {} rows but 'showers' has {}", path, ed[0], sd[0]);
  }
  if (sd[0] == 0) fail_input("{}: the file holds no showers (0 rows)", path);
  if (sd[1] == 0 || sd[1] > (hsize_t{1} << 24))
    fail_input("{}: 'showers' declares {} voxels per shower (expected 1..16777216)", path, sd[1]);
  if (sd[0] > (hsize_t{1} << 40))
    fail_input("{}: 'showers' declares {} rows, more than any real file holds (damaged file?)",
               path, sd[0]);
  num_events_ = static_cast<int64_t>(sd[0]);
  num_voxels_ = static_cast<int>(sd[1]);
  if (expected_voxels > 0 && num_voxels_ != expected_voxels) {
    fail_input(
        "{}: 'showers' has {} voxels per shower but the geometry has {} (wrong --dataset or "
        "binning XML?)",
        path, num_voxels_, expected_voxels);
  }
}

ShowerFileReader::~ShowerFileReader() = default;

void ShowerFileReader::read(int64_t first, int64_t count, ShowerBlock& block) const {
  if (first < 0 || count < 0 || first + count > num_events_) {
    fail("{}: rows {}..{} requested but the file has {}", path_, first, first + count - 1,
         num_events_);
  }
  require_memory((double(count) * num_voxels_ + double(count)) * sizeof(float),
                 fmt::format("{}: reading {} showers of {} voxels", path_, count, num_voxels_));
  block.first_row = first;
  block.rows = count;
  block.num_voxels = num_voxels_;
  block.energies.resize(static_cast<size_t>(count));
  block.showers.resize(static_cast<size_t>(count) * num_voxels_);
  if (count == 0) return;
  read_rows(h_->energies.get(), path_, "incident_energies", first, count, 1, block.energies.data());
  read_rows(h_->showers.get(), path_, "showers", first, count, num_voxels_, block.showers.data());
  for (int64_t i = 0; i < count; ++i) {
    const float e = block.energies[i];
    if (!std::isfinite(e) || e <= 0.0f) {
      fail_input(
          "{}: dataset 'incident_energies' row {} is {} (energies must be finite and > 0 MeV)",
          path_, first + i, e);
    }
    const float* row = block.showers.data() + i * num_voxels_;
    for (int v = 0; v < num_voxels_; ++v) {
      if (!std::isfinite(row[v]) || row[v] < 0.0f) {
        fail_input(
            "{}: dataset 'showers' row {} voxel {} is {} (voxel energies must be finite and >= 0)",
            path_, first + i, v, row[v]);
      }
    }
  }
}

ShowerBlock ShowerFileReader::read(int64_t first, int64_t count) const {
  ShowerBlock block;
  read(first, count, block);
  return block;
}

std::vector<float> ShowerFileReader::read_energies() const {
  require_memory(double(num_events_) * sizeof(float),
                 fmt::format("{}: reading {} incident energies", path_, num_events_));
  std::vector<float> e(static_cast<size_t>(num_events_));
  read_rows(h_->energies.get(), path_, "incident_energies", 0, num_events_, 1, e.data());
  for (int64_t i = 0; i < num_events_; ++i) {
    if (!std::isfinite(e[i]) || e[i] <= 0.0f) {
      fail_input(
          "{}: dataset 'incident_energies' row {} is {} (energies must be finite and > 0 MeV)",
          path_, i, e[i]);
    }
  }
  return e;
}

struct ShowerFileWriter::Handles {
  Hid file, energies, showers;
};

namespace {
Hid create_extendible(hid_t file, const char* name, hid_t type, hsize_t width, hsize_t chunk_rows,
                      int gzip) {
  hsize_t dims[2] = {0, width};
  hsize_t maxdims[2] = {H5S_UNLIMITED, width};
  Hid space(H5Screate_simple(2, dims, maxdims), H5Sclose);
  Hid plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  hsize_t chunk[2] = {chunk_rows, width};
  H5Pset_chunk(plist.get(), 2, chunk);
  if (gzip > 0) {
    H5Pset_shuffle(plist.get());
    H5Pset_deflate(plist.get(), static_cast<unsigned>(gzip));
  }
  return Hid(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
             H5Dclose);
}

void append_rows(hid_t dataset, hid_t mem_type, const void* data, hsize_t old_rows, hsize_t rows,
                 hsize_t width, const std::string& path, const char* name) {
  hsize_t new_dims[2] = {old_rows + rows, width};
  if (H5Dset_extent(dataset, new_dims) < 0) fail("{}: cannot extend dataset '{}'", path, name);
  Hid space(H5Dget_space(dataset), H5Sclose);
  hsize_t start[2] = {old_rows, 0};
  hsize_t count[2] = {rows, width};
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Hid mem(H5Screate_simple(2, count, nullptr), H5Sclose);
  if (H5Dwrite(dataset, mem_type, mem.get(), space.get(), H5P_DEFAULT, data) < 0) {
    fail("{}: cannot write dataset '{}' (disk full or file-size limit?)", path, name);
  }
}
}  // namespace

ShowerFileWriter::ShowerFileWriter(const std::string& path, int num_voxels, int chunk_rows,
                                   int gzip_level)
    : path_(path),
      tmp_path_(path + ".tmp"),
      h_(std::make_unique<Handles>()),
      num_voxels_(num_voxels) {
  silence_hdf5();
  if (num_voxels <= 0) fail("ShowerFileWriter: num_voxels must be positive");
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    fail_input("cannot write '{}': directory '{}' does not exist", path, parent.string());
  }
  h_->file = Hid(H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!h_->file.valid()) fail_input("cannot create '{}' (permissions?)", tmp_path_);
  h_->energies = create_extendible(h_->file.get(), "incident_energies", H5T_IEEE_F64LE, 1,
                                   static_cast<hsize_t>(std::max(chunk_rows, 1024)), gzip_level);
  h_->showers =
      create_extendible(h_->file.get(), "showers", H5T_IEEE_F32LE, static_cast<hsize_t>(num_voxels),
                        static_cast<hsize_t>(chunk_rows), gzip_level);
  if (!h_->energies.valid() || !h_->showers.valid()) fail("{}: cannot create datasets", tmp_path_);
}

ShowerFileWriter::~ShowerFileWriter() {
  if (h_ && h_->file.valid()) {
    h_->energies.reset();
    h_->showers.reset();
    h_->file.reset();
    std::error_code ec;
    std::filesystem::remove(tmp_path_, ec);
  }
}

void ShowerFileWriter::append(std::span<const float> energies, std::span<const float> showers) {
  if (!h_->file.valid()) fail("{}: append after close", path_);
  const size_t rows = energies.size();
  if (showers.size() != rows * static_cast<size_t>(num_voxels_)) {
    fail("{}: append of {} energies with {} voxel values (expected {})", path_, rows,
         showers.size(), rows * num_voxels_);
  }
  if (rows == 0) return;
  std::vector<double> e64(energies.begin(), energies.end());
  append_rows(h_->energies.get(), H5T_NATIVE_DOUBLE, e64.data(), rows_, rows, 1, path_,
              "incident_energies");
  append_rows(h_->showers.get(), H5T_NATIVE_FLOAT, showers.data(), rows_, rows, num_voxels_, path_,
              "showers");
  rows_ += static_cast<int64_t>(rows);
}

void ShowerFileWriter::close() {
  if (!h_->file.valid()) return;
  h_->energies.reset();
  h_->showers.reset();
  std::error_code ec;
  const auto give_up = [&](const char* step) {
    std::filesystem::remove(tmp_path_, ec);
    fail("{}: {} failed (disk full or file-size limit?); '{}' was not written", tmp_path_, step,
         path_);
  };
  if (H5Fflush(h_->file.get(), H5F_SCOPE_GLOBAL) < 0) {
    h_->file.reset();
    give_up("flush");
  }
  // H5Fclose writes the remaining metadata: a failure there leaves a damaged file, which must
  // not be renamed into place.
  const hid_t file = h_->file.release();
  if (H5Fclose(file) < 0) give_up("close");
  // The data reach the disk before the rename makes them visible under the final name.
  const int fd = ::open(tmp_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    give_up("fsync");
  }
  ::close(fd);
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec) fail("cannot rename '{}' to '{}': {}", tmp_path_, path_, ec.message());
}

ShowerBlock read_shower_file(const std::string& path, int expected_voxels) {
  ShowerFileReader reader(path, expected_voxels);
  return reader.read(0, reader.num_events());
}

void write_shower_file(const std::string& path, std::span<const float> energies,
                       std::span<const float> showers, int num_voxels) {
  ShowerFileWriter writer(path, num_voxels);
  writer.append(energies, showers);
  writer.close();
}

}  // namespace calo
