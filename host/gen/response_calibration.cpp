#include "host/gen/response_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "host/atomic_file.hpp"
#include "host/error.hpp"
#include "host/text_file.hpp"

namespace calo::gen {

namespace {
constexpr int kLayers = 45, kAlpha = 16, kRadii = 9, kVoxels = kLayers * kAlpha * kRadii;
constexpr int kCells = ResponseCalibration::kEnergyBins * kLayers * kRadii;
constexpr double kEminMev = 1e3, kEmaxMev = 1e6;

int cell(int bin, int layer, int ring) {
  return (bin * kLayers + layer) * kRadii + ring;
}
}  // namespace

ResponseCalibration::ResponseCalibration()
    : data_{std::vector<double>(kCells), std::vector<int64_t>(kCells)},
      generated_{std::vector<double>(kCells), std::vector<int64_t>(kCells)},
      factor_(kCells, 1.0f) {}

int ResponseCalibration::energy_bin(float e_inc_mev) {
  const double t = std::log(double(e_inc_mev) / kEminMev) / std::log(kEmaxMev / kEminMev);
  if (!(t > 0.0)) return 0;  // also NaN
  return std::min(kEnergyBins - 1, static_cast<int>(t * kEnergyBins));
}

void ResponseCalibration::add(Sums& s, std::span<const float> showers,
                              std::span<const float> energies) {
  if (showers.size() != energies.size() * size_t(kVoxels))
    fail("response calibration: {} voxel values for {} showers (expected {} per shower)",
         showers.size(), energies.size(), kVoxels);
  for (size_t i = 0; i < energies.size(); ++i) {
    const int bin = energy_bin(energies[i]);
    const float* row = showers.data() + i * size_t(kVoxels);
    for (int l = 0; l < kLayers; ++l)
      for (int a = 0; a < kAlpha; ++a)
        for (int r = 0; r < kRadii; ++r) {
          const float e = row[(l * kAlpha + a) * kRadii + r];
          if (e > 0.0f) {
            s.energy[size_t(cell(bin, l, r))] += e;
            ++s.hits[size_t(cell(bin, l, r))];
          }
        }
  }
}

void ResponseCalibration::add_data(std::span<const float> showers,
                                   std::span<const float> energies) {
  add(data_, showers, energies);
  data_showers_ += static_cast<int64_t>(energies.size());
}

void ResponseCalibration::add_generated(std::span<const float> showers,
                                        std::span<const float> energies) {
  add(generated_, showers, energies);
  generated_showers_ += static_cast<int64_t>(energies.size());
}

void ResponseCalibration::fit() {
  if (data_showers_ == 0 || generated_showers_ == 0)
    fail("response calibration: fit needs both data and generated showers");
  // Means per shower, so the two samples may differ in size.
  const double wd = 1.0 / double(data_showers_), wg = 1.0 / double(generated_showers_);
  // Stage 1, the shape: one factor per (layer, ring) over all energies. A cell's mean deposit
  // is heavy-tailed (a relative error of ~3/sqrt(hits)), so per-energy-bin cells would fit noise.
  std::vector<float> shape(size_t(kLayers * kRadii), 1.0f);
  for (int l = 0; l < kLayers; ++l)
    for (int r = 0; r < kRadii; ++r) {
      double d = 0, g = 0;
      int64_t dh = 0, gh = 0;
      for (int b = 0; b < kEnergyBins; ++b) {
        const size_t c = size_t(cell(b, l, r));
        d += data_.energy[c];
        g += generated_.energy[c];
        dh += data_.hits[c];
        gh += generated_.hits[c];
      }
      if (dh >= kMinVoxelHits && gh >= kMinVoxelHits && g > 0.0)
        shape[size_t(l * kRadii + r)] =
            std::clamp(static_cast<float>((d * wd) / (g * wg)), kMinFactor, kMaxFactor);
    }
  // Stage 2, the scale: per energy bin, the total deposit after the shape factors.
  for (int b = 0; b < kEnergyBins; ++b) {
    double d = 0, g = 0;
    for (int l = 0; l < kLayers; ++l)
      for (int r = 0; r < kRadii; ++r) {
        const size_t c = size_t(cell(b, l, r));
        d += data_.energy[c];
        g += double(shape[size_t(l * kRadii + r)]) * generated_.energy[c];
      }
    const float scale = d > 0.0 && g > 0.0 ? static_cast<float>((d * wd) / (g * wg)) : 1.0f;
    for (int l = 0; l < kLayers; ++l)
      for (int r = 0; r < kRadii; ++r)
        factor_[size_t(cell(b, l, r))] =
            std::clamp(scale * shape[size_t(l * kRadii + r)], kMinFactor, kMaxFactor);
  }
}

float ResponseCalibration::factor(int energy_bin, int layer, int ring) const {
  return factor_[size_t(cell(energy_bin, layer, ring))];
}

void ResponseCalibration::apply(std::span<float> showers, std::span<const float> energies) const {
  if (showers.size() != energies.size() * size_t(kVoxels))
    fail("response calibration: {} voxel values for {} showers", showers.size(), energies.size());
  for (size_t i = 0; i < energies.size(); ++i) {
    const float* f = factor_.data() + size_t(cell(energy_bin(energies[i]), 0, 0));
    float* row = showers.data() + i * size_t(kVoxels);
    for (int l = 0; l < kLayers; ++l)
      for (int a = 0; a < kAlpha; ++a)
        for (int r = 0; r < kRadii; ++r) row[(l * kAlpha + a) * kRadii + r] *= f[l * kRadii + r];
  }
}

void ResponseCalibration::save(const std::string& path) const {
  nlohmann::json j;
  j["format"] = "calo4pq response calibration 1";
  j["fitted_on"] = provenance;
  j["data_showers"] = data_showers_;
  j["generated_showers"] = generated_showers_;
  j["energy_bins"] = kEnergyBins;
  j["energy_range_mev"] = {kEminMev, kEmaxMev};
  j["layers"] = kLayers;
  j["rings"] = kRadii;
  j["factor_order"] = "energy_bin, layer, ring";
  j["factor"] = factor_;
  write_text_atomically(path, j.dump(1) + "\n");
}

ResponseCalibration ResponseCalibration::load(const std::string& path) {
  const auto text = read_text_file(path);
  if (!text) fail_input("cannot read response calibration '{}'", path);
  ResponseCalibration c;
  try {
    const nlohmann::json j = nlohmann::json::parse(*text);
    if (j.at("format").get<std::string>() != "calo4pq response calibration 1" ||
        j.at("energy_bins").get<int>() != kEnergyBins || j.at("layers").get<int>() != kLayers ||
        j.at("rings").get<int>() != kRadii)
      fail_input("'{}' is not a calo4pq response calibration for Dataset 2 (format {})", path,
                 j.at("format").dump());
    const auto f = j.at("factor").get<std::vector<float>>();
    if (f.size() != size_t(kCells))
      fail_input("'{}': {} factors, expected {}", path, f.size(), kCells);
    for (const float v : f)
      if (!(v >= kMinFactor && v <= kMaxFactor))
        fail_input("'{}': factor {} outside [{}, {}] (damaged file?)", path, v, kMinFactor,
                   kMaxFactor);
    c.factor_ = f;
    c.provenance = j.value("fitted_on", "");
    c.data_showers_ = j.value("data_showers", int64_t{0});
    c.generated_showers_ = j.value("generated_showers", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    fail_input(
        "'{}': not a valid response calibration ({}); refit it with calo_gen "
        "--calibrate-on TRAIN.h5 or delete it",
        path, e.what());
  }
  return c;
}

std::string calibration_path(const std::string& model_dir) {
  return (std::filesystem::path(model_dir) / "calibration.json").string();
}

}  // namespace calo::gen
