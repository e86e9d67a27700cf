// Resource limits (issue 17): inputs whose declared sizes would need more memory than the machine
// has fail early with an InputError that names the input and the memory, before any allocation:
// an HDF5 file declaring 2^38 rows (a few KiB on disk), a checkpoint array header declaring 2^31
// floats, a topology of 10^10 qubits, --events 10^15. calo_train on such a file prints one line.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "host/error.hpp"
#include "host/gen/generator.hpp"
#include "host/h5io.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/topology/graph.hpp"
#include "tests/apps/proc_util.hpp"

namespace fs = std::filesystem;
using namespace calo::testing;

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const calo::InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an InputError: ") + e.what();
  }
  return "no error";
}

// incident_energies (rows, 1) and showers (rows, voxels), chunked and never written: HDF5 stores
// only the header, so the file is tiny whatever the declared row count.
std::string huge_file(const fs::path& dir, hsize_t rows, hsize_t voxels) {
  const std::string path = (dir / "huge.h5").string();
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (const auto& [name, width] :
       {std::pair{"incident_energies", hsize_t{1}}, {"showers", voxels}}) {
    hsize_t dims[2] = {rows, width}, chunk[2] = {1, width};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 2, chunk);
    const hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    H5Dclose(d);
    H5Pclose(plist);
    H5Sclose(space);
  }
  H5Fclose(f);
  return path;
}

struct TempDir {
  fs::path p = fs::temp_directory_path() / ("calo_limits_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(p); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(p, ec);
  }
};
}  // namespace

TEST(ResourceLimits, HugeDeclaredRowCountFailsBeforeAllocating) {
  TempDir t;
  const std::string path = huge_file(t.p, hsize_t{1} << 38, 6480);
  EXPECT_LT(fs::file_size(path), 1u << 20);
  const calo::ShowerFileReader reader(path);
  EXPECT_EQ(reader.num_events(), int64_t{1} << 38);
  const std::string m = message_of([&] { (void)reader.read(0, reader.num_events()); });
  EXPECT_NE(m.find("GiB of memory"), std::string::npos) << m;
  EXPECT_NE(m.find(path), std::string::npos) << m;
  const std::string e = message_of([&] { (void)reader.read_energies(); });
  EXPECT_NE(e.find("GiB of memory"), std::string::npos) << e;
  // calo_gen --energies on it: the same early error.
  calo::gen::GenerateOptions o;
  o.energies_path = path;
  EXPECT_NE(message_of([&] { (void)calo::gen::generation_energies(o); }).find("GiB of memory"),
            std::string::npos);
}

TEST(ResourceLimits, ImplausibleShapesAreRejectedAtOpen) {
  TempDir t;
  const std::string m =
      message_of([&] { calo::ShowerFileReader r(huge_file(t.p, 4, hsize_t{1} << 25)); });
  EXPECT_NE(m.find("voxels per shower"), std::string::npos) << m;
  const std::string r =
      message_of([&] { calo::ShowerFileReader x(huge_file(t.p, hsize_t{1} << 50, 4)); });
  EXPECT_NE(r.find("rows"), std::string::npos) << r;
}

TEST(ResourceLimits, CalotrainOnAHugeFileSaysSoInOneLine) {
  if (!fs::exists(kBinDir + "/calo_train")) GTEST_SKIP() << "apps not built";
  TempDir t;
  const std::string data = huge_file(t.p, hsize_t{1} << 34, 6480);
  const std::string cfg = (t.p / "c.yaml").string();
  std::ofstream(cfg) << "model:\n  nodes_per_partition: 8\n  encoder_channels: 2\n"
                        "  decoder_channels: 2\ntraining:\n  seed: 1\n  epochs: 1\n"
                        "  batch_size: 16\n  learning_rate: 0.01\n";
  const std::string log = (t.p / "err.log").string();
  const int rc = run({kBinDir + "/calo_train", "--config", cfg, "--data", data, "--out",
                      (t.p / "out").string(), "--no-progress"},
                     {.err_file = log}, 120);
  EXPECT_EQ(rc, 1) << slurp(log);
  const auto lines = lines_of(slurp(log));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().rfind("error:", 0), 0u) << lines.back();
  EXPECT_NE(lines.back().find("GiB of memory"), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find("max_events"), std::string::npos) << lines.back();
}

TEST(ResourceLimits, CheckpointArrayHeaderLargerThanTheFileIsDamage) {
  TempDir t;
  const std::string path = (t.p / "params.bin").string();
  {
    std::ofstream out(path, std::ios::binary);
    out.write("CALOARR1", 8);
    const uint64_t count = 1;
    const uint32_t len = 1;
    const uint64_t numel = uint64_t{1} << 31;  // 8 GiB of floats in a 30-byte file
    out.write(reinterpret_cast<const char*>(&count), 8);
    out.write(reinterpret_cast<const char*>(&len), 4);
    out.write("w", 1);
    out.write(reinterpret_cast<const char*>(&numel), 8);
  }
  const std::string m = message_of([&] { (void)calo::nn::read_named_arrays(path); });
  EXPECT_NE(m.find("declares 2147483648 values"), std::string::npos) << m;
}

TEST(ResourceLimits, HugeTopologiesAndEventCountsFailEarly) {
  for (const char* spec : {"zephyr:100000,4", "zephyr:2,100000", "pegasus:100000",
                           "chimera:1,1,100000", "chimera:30000,30000,4", "zephyr:2147483647"}) {
    const std::string m = message_of([&] { (void)calo::parse_topology(spec); });
    EXPECT_NE(m.find("graph:"), std::string::npos) << spec << ": " << m;
  }
  calo::gen::GenerateOptions o;
  o.events = int64_t{1} << 50;
  const std::string m = message_of([&] { (void)calo::gen::generation_energies(o); });
  EXPECT_NE(m.find("--events"), std::string::npos) << m;
  EXPECT_NE(m.find("GiB of memory"), std::string::npos) << m;
}

// Damaged dataset headers that made libhdf5's H5Dread crash or allocate 4 GB (fuzz findings,
// tests/fuzz/regressions/h5_showers/) are input errors at open, before any read.
TEST(ResourceLimits, DamagedDatasetHeadersAreInputErrorsAtOpen) {
  const fs::path dir = fs::path(CALO_TEST_DATA_DIR) / "../fuzz/regressions/h5_showers";
  const std::pair<const char*, const char*> cases[] = {
      {"h5_showers_H5Dread_type_size_4e9_malloc", "not plain floating-point"},
      {"h5_showers_H5Dread_compact_size_mismatch", "needs 16"},
      {"h5_showers_H5Dread_H5VM_memcpyvv_null_memcpy", "holds 0 bytes"},
  };
  for (const auto& [file, expected] : cases) {
    const std::string msg =
        message_of([&, f = file] { calo::ShowerFileReader((dir / f).string(), 0); });
    EXPECT_NE(msg.find(expected), std::string::npos) << file << ": " << msg;
    EXPECT_NE(msg.find("damaged"), std::string::npos) << file << ": " << msg;
  }
}
