// Response calibration: factors are the data / generated mean deposit per (energy bin, layer,
// ring), sparse cells fall back to the layer-ring factor (then 1), applying them makes the
// generated sums equal the data's, and the JSON round-trips and rejects damage.
#include "host/gen/response_calibration.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "host/error.hpp"
#include "kernels/philox.hpp"

namespace fs = std::filesystem;
using calo::gen::ResponseCalibration;

namespace {
constexpr int kVoxels = 6480;

int voxel(int layer, int alpha, int ring) {
  return (layer * 16 + alpha) * 9 + ring;
}

// `rows` showers; every voxel of layers 0-19 hit with a Philox energy of `seed`, deeper layers hit
// only in voxel (layer, 0, 0) of the first `sparse_rows` showers, with the same energy whatever
// the seed.
std::vector<float> showers(int rows, uint64_t seed, int sparse_rows) {
  std::vector<float> x(size_t(rows) * kVoxels, 0.0f);
  for (int i = 0; i < rows; ++i)
    for (int v = 0; v < kVoxels; ++v) {
      const int layer = v / 144;
      const size_t k = size_t(i) * kVoxels + size_t(v);
      if (layer < 20)
        x[k] = 1.0f + calo::uniform(seed, 1, k);
      else if (i < sparse_rows && v == voxel(layer, 0, 0))  // the same in every sample
        x[k] = 1.0f + calo::uniform(99, 1, k);
    }
  return x;
}

double cell_sum(const std::vector<float>& x, int layer, int ring) {
  double s = 0;
  for (size_t i = 0; i < x.size() / kVoxels; ++i)
    for (int a = 0; a < 16; ++a) s += x[i * kVoxels + size_t(voxel(layer, a, ring))];
  return s;
}
}  // namespace

TEST(ResponseCalibration, EnergyBinsAreLogSpacedAndClamped) {
  EXPECT_EQ(ResponseCalibration::energy_bin(1e3f), 0);
  EXPECT_EQ(ResponseCalibration::energy_bin(500.0f), 0);
  EXPECT_EQ(ResponseCalibration::energy_bin(1.34e3f), 0);  // 10^(3 + 3/8) = 2371 is bin 1
  EXPECT_EQ(ResponseCalibration::energy_bin(2.5e3f), 1);
  EXPECT_EQ(ResponseCalibration::energy_bin(3.2e4f), 4);  // 10^4.5 = 31623
  EXPECT_EQ(ResponseCalibration::energy_bin(9.99e5f), 7);
  EXPECT_EQ(ResponseCalibration::energy_bin(5e6f), 7);
}

TEST(ResponseCalibration, FactorsMakeGeneratedSumsEqualTheData) {
  const int rows = 40;
  const std::vector<float> e(rows, 5e4f);  // one energy bin
  const int bin = ResponseCalibration::energy_bin(5e4f);
  // Layers 0-19 fully hit; deeper layers hit in voxel (l, 0, 0) of 10 showers only. The generator
  // is 20% low in ring 0 and 10% high in ring 8 of layers 0-19.
  const std::vector<float> data = showers(rows, 1, 10);
  std::vector<float> gen = showers(rows, 2, 10);
  for (size_t i = 0; i < size_t(rows); ++i)
    for (int l = 0; l < 20; ++l)
      for (int a = 0; a < 16; ++a) {
        gen[i * kVoxels + size_t(voxel(l, a, 0))] *= 0.8f;
        gen[i * kVoxels + size_t(voxel(l, a, 8))] *= 1.1f;
      }
  ResponseCalibration c;
  c.add_data(data, e);
  c.add_generated(gen, e);
  c.fit();
  for (int l = 0; l < 20; ++l) {
    EXPECT_NEAR(c.factor(bin, l, 0), cell_sum(data, l, 0) / cell_sum(gen, l, 0), 1e-5);
    EXPECT_GT(c.factor(bin, l, 0), 1.15f);
    EXPECT_LT(c.factor(bin, l, 8), 0.97f);
  }
  // 10 hits per cell in layers 20-44: below kMinVoxelHits, so the pooled (also sparse) factor 1.
  EXPECT_NEAR(c.factor(bin, 30, 0), 1.0f, 1e-5);
  // An energy bin with no showers takes the layer-ring shape factor with scale 1.
  EXPECT_NEAR(c.factor(0, 5, 0), c.factor(bin, 5, 0), 1e-5);

  std::vector<float> calibrated = gen;
  c.apply(calibrated, e);
  for (int l = 0; l < 20; ++l)
    for (int r = 0; r < 9; ++r)
      EXPECT_NEAR(cell_sum(calibrated, l, r) / cell_sum(data, l, r), 1.0, 1e-5) << l << " " << r;
  EXPECT_EQ(calibrated[size_t(voxel(30, 0, 0))], gen[size_t(voxel(30, 0, 0))]);
  EXPECT_THROW(c.apply(std::span<float>(calibrated).first(100), e), calo::Error);
}

// The energy dependence is a scale per energy bin on top of one shape: a generator 10% low at
// 2 GeV and 10% high at 200 GeV (same shape) gets factors 1/0.9 and 1/1.1 in every cell.
TEST(ResponseCalibration, ScalePerEnergyBinShapeOverAllEnergies) {
  const int rows = 40;
  std::vector<float> e(rows);
  for (int i = 0; i < rows; ++i) e[size_t(i)] = i % 2 ? 2e5f : 2e3f;
  const std::vector<float> data = showers(rows, 5, 0);
  std::vector<float> gen = data;
  for (size_t i = 0; i < size_t(rows); ++i)
    for (int v = 0; v < kVoxels; ++v) gen[i * kVoxels + size_t(v)] *= i % 2 ? 1.1f : 0.9f;
  ResponseCalibration c;
  c.add_data(data, e);
  c.add_generated(gen, e);
  c.fit();
  const int lo = ResponseCalibration::energy_bin(2e3f), hi = ResponseCalibration::energy_bin(2e5f);
  // The shape mixes both bins, so single cells are near 1/0.9 and 1/1.1; each bin's total is exact.
  for (int l = 0; l < 20; ++l)
    for (int r = 0; r < 9; ++r) {
      EXPECT_NEAR(c.factor(lo, l, r), 1.0 / 0.9, 0.01) << l << " " << r;
      EXPECT_NEAR(c.factor(hi, l, r), 1.0 / 1.1, 0.01) << l << " " << r;
    }
  std::vector<float> calibrated = gen;
  c.apply(calibrated, e);
  for (int parity = 0; parity < 2; ++parity) {
    double d = 0, g = 0;
    for (size_t i = size_t(parity); i < size_t(rows); i += 2)
      for (int v = 0; v < kVoxels; ++v) {
        d += data[i * kVoxels + size_t(v)];
        g += calibrated[i * kVoxels + size_t(v)];
      }
    EXPECT_NEAR(g / d, 1.0, 1e-5) << (parity ? "200 GeV" : "2 GeV");
  }
}

TEST(ResponseCalibration, JsonRoundTripsAndDamageIsAClearError) {
  const std::vector<float> e = {2e3f, 2e5f};
  std::vector<float> data = showers(2, 3, 0), gen = showers(2, 4, 0);
  for (float& v : gen) v *= 0.5f;
  ResponseCalibration c;
  c.add_data(data, e);
  c.add_generated(gen, e);
  c.fit();
  c.provenance = "unit test";
  const fs::path dir = fs::temp_directory_path() / ("calo_calib_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string p = (dir / "calibration.json").string();
  c.save(p);
  const ResponseCalibration back = ResponseCalibration::load(p);
  EXPECT_EQ(back.provenance, "unit test");
  EXPECT_EQ(back.data_showers(), 2);
  for (int b = 0; b < ResponseCalibration::kEnergyBins; ++b)
    for (int l = 0; l < 45; ++l)
      for (int r = 0; r < 9; ++r) ASSERT_EQ(back.factor(b, l, r), c.factor(b, l, r));

  const auto message = [&](const std::string& text) {
    std::ofstream(p) << text;
    try {
      ResponseCalibration::load(p);
    } catch (const calo::InputError& err) {
      return std::string(err.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{\"format\": 1").find("not a valid response calibration"), std::string::npos);
  EXPECT_NE(message("{\"format\": \"other\", \"energy_bins\": 8, \"layers\": 45, \"rings\": 9}")
                .find("is not a calo4pq response calibration"),
            std::string::npos);
  std::string bad =
      "{\"format\": \"calo4pq response calibration 1\", \"energy_bins\": 8, "
      "\"layers\": 45, \"rings\": 9, \"factor\": [";
  for (int i = 0; i < 8 * 45 * 9; ++i) bad += (i ? ",1" : "9");
  EXPECT_NE(message(bad + "]}").find("outside"), std::string::npos);
  EXPECT_NE(message(bad.substr(0, bad.size() - 1) + "1, 1]}").find("factors, expected"),
            std::string::npos);
  EXPECT_THROW(ResponseCalibration::load((dir / "missing.json").string()), calo::InputError);
  fs::remove_all(dir);
}
