#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "host/error.hpp"
#include "host/h5io.hpp"
#include "kernels/philox.hpp"

using namespace calo;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() : path(fs::temp_directory_path() / ("calo_h5_" + std::to_string(::getpid()) + "_" +
                                                 ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

// Writes arbitrary datasets with raw HDF5 to build malformed files.
void write_raw(const std::string& path, const std::vector<std::pair<std::string, std::vector<hsize_t>>>& sets,
               double fill = 1.0, int bad_row = -1, double bad_value = 0.0) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  for (const auto& [name, dims] : sets) {
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t d = H5Dcreate2(f, name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    size_t n = 1;
    for (auto x : dims) n *= x;
    std::vector<double> v(n, fill);
    const size_t width = dims.size() > 1 ? dims[1] : 1;
    if (bad_row >= 0 && name == "showers" && static_cast<size_t>(bad_row) * width < n) v[bad_row * width + 3] = bad_value;
    if (n) H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    H5Sclose(space);
  }
  H5Fclose(f);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(H5io, WriteReadRoundTripIsIdenticalAcrossAppends) {
  TempDir tmp;
  const int V = 6480, N = 700;
  std::vector<float> e(N), s(static_cast<size_t>(N) * V);
  PhiloxCursor rng(1, 1);
  for (auto& x : e) x = 1000.0f + 1e5f * rng.next_uniform();
  for (auto& x : s) x = rng.next_uniform() < 0.8f ? 0.0f : 100.0f * rng.next_uniform();
  const std::string path = tmp.file("round.h5");
  {
    ShowerFileWriter w(path, V, 128);
    w.append(std::span(e).subspan(0, 300), std::span(s).subspan(0, 300ull * V));
    w.append(std::span(e).subspan(300), std::span(s).subspan(300ull * V));
    EXPECT_FALSE(fs::exists(path)) << "final name must appear only at close()";
    w.close();
  }
  ShowerFileReader r(path, V);
  ASSERT_EQ(r.num_events(), N);
  ASSERT_EQ(r.num_voxels(), V);
  const ShowerBlock all = r.read(0, N);
  EXPECT_EQ(all.energies, e);
  EXPECT_EQ(all.showers, s);
  // A block in the middle streams exactly the same rows.
  const ShowerBlock mid = r.read(250, 100);
  EXPECT_TRUE(std::equal(mid.showers.begin(), mid.showers.end(), s.begin() + 250ll * V));
  EXPECT_EQ(r.read_energies(), e);
}

TEST(H5io, WriterWithoutCloseLeavesNoFile) {
  TempDir tmp;
  const std::string path = tmp.file("aborted.h5");
  {
    ShowerFileWriter w(path, 10);
    std::vector<float> e{1000.0f}, s(10, 1.0f);
    w.append(e, s);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(H5io, MissingFileAndNonHdf5AreClearErrors) {
  TempDir tmp;
  EXPECT_NE(message_of([&] { ShowerFileReader r(tmp.file("nope.h5")); }).find("does not exist"), std::string::npos);
  const std::string text = tmp.file("text.h5");
  std::ofstream(text) << "not hdf5";
  EXPECT_NE(message_of([&] { ShowerFileReader r(text); }).find("not an HDF5 file"), std::string::npos);
}

TEST(H5io, WrongKeysNameTheMissingDataset) {
  TempDir tmp;
  const std::string path = tmp.file("keys.h5");
  write_raw(path, {{"energy", {5, 1}}, {"showers", {5, 6480}}});
  const std::string msg = message_of([&] { ShowerFileReader r(path); });
  EXPECT_NE(msg.find("'incident_energies' is missing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("energy"), std::string::npos) << msg;
}

TEST(H5io, ShapeMismatchesAreRejected) {
  TempDir tmp;
  const std::string a = tmp.file("a.h5");
  write_raw(a, {{"incident_energies", {5, 1}}, {"showers", {5, 368}}});
  EXPECT_NE(message_of([&] { ShowerFileReader r(a, 6480); }).find("368 voxels"), std::string::npos);
  const std::string b = tmp.file("b.h5");
  write_raw(b, {{"incident_energies", {4, 1}}, {"showers", {5, 6480}}});
  EXPECT_NE(message_of([&] { ShowerFileReader r(b); }).find("4 rows"), std::string::npos);
  const std::string c = tmp.file("c.h5");
  write_raw(c, {{"incident_energies", {5, 2}}, {"showers", {5, 6480}}});
  EXPECT_NE(message_of([&] { ShowerFileReader r(c); }).find("expected (N, 1)"), std::string::npos);
  const std::string d = tmp.file("d.h5");
  write_raw(d, {{"incident_energies", {0, 1}}, {"showers", {0, 6480}}});
  EXPECT_NE(message_of([&] { ShowerFileReader r(d); }).find("no showers"), std::string::npos);
}

TEST(H5io, BadValuesNameFileDatasetAndRow) {
  TempDir tmp;
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), -1.0, std::numeric_limits<double>::infinity()}) {
    const std::string path = tmp.file("bad.h5");
    write_raw(path, {{"incident_energies", {6, 1}}, {"showers", {6, 20}}}, 1.0, 4, bad);
    ShowerFileReader r(path);
    const std::string msg = message_of([&] { r.read(0, 6); });
    EXPECT_NE(msg.find("'showers' row 4 voxel 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NO_THROW(r.read(0, 4));  // rows before the bad one are fine
  }
  const std::string neg = tmp.file("neg_e.h5");
  write_raw(neg, {{"incident_energies", {3, 1}}, {"showers", {3, 20}}}, -5.0);
  ShowerFileReader r(neg);
  EXPECT_NE(message_of([&] { r.read_energies(); }).find("'incident_energies' row 0"), std::string::npos);
}

TEST(H5io, ReadsFloat64FilesLikeTheOfficialOnes) {
  TempDir tmp;
  const std::string path = tmp.file("f64.h5");
  write_raw(path, {{"incident_energies", {3}}, {"showers", {3, 6480}}}, 2.5);
  const ShowerBlock b = read_shower_file(path, 6480);
  EXPECT_EQ(b.rows, 3);
  EXPECT_FLOAT_EQ(b.energies[2], 2.5f);
  EXPECT_FLOAT_EQ(b.showers[6480 * 3 - 1], 2.5f);
}
