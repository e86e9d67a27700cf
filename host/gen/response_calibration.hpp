#pragma once
// Response calibration of the generator, as fast simulations are calibrated to their full
// simulation: one factor per (incident-energy bin, layer, radial ring) that scales the generated
// voxel energies so their mean deposits match the training showers' (factor = energy-bin scale x
// layer-ring shape).
//
// Why it is needed: the decoder regresses u = logit(E_vox / E_inc), a log-like variable, with an
// MSE. Its prediction is a conditional mean in log space, so back in MeV it sits below the mean
// deposit by about exp(sigma^2 / 2) (the retransformation bias of a log regression; Duan 1983):
// ~3% low in E_tot / E_inc, more at large radii where the spread is largest.
//
// The factors are fitted on training showers only (never on the evaluation reference): the
// generator's own output (prior latents, calibration off) for the training file's incident
// energies against those showers. calo_gen applies them when MODEL/calibration.json exists.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace calo::gen {

// Sums of deposited energy per (energy bin, layer, ring) for two samples, and the factors.
class ResponseCalibration {
 public:
  static constexpr int kEnergyBins = 8;     // log-spaced edges from 1 GeV to 1 TeV (clamped)
  static constexpr int kMinVoxelHits = 30;  // fewer hits in a (layer, ring): shape factor 1
  static constexpr float kMinFactor = 0.25f, kMaxFactor = 4.0f;

  ResponseCalibration();  // identity

  static int energy_bin(float e_inc_mev);

  // Adds showers (rows x 6480 MeV, Dataset 2 order) of the training data or of the generator.
  void add_data(std::span<const float> showers, std::span<const float> energies);
  void add_generated(std::span<const float> showers, std::span<const float> energies);
  // Factors from the sums added so far, in two stages: a shape factor per (layer, ring) over all
  // energies (data / generated mean deposit; 1 where either sample has fewer than kMinVoxelHits
  // hit voxels), then a scale per energy bin that matches the bin's total deposit; the product
  // is clipped to [kMinFactor, kMaxFactor]. A cell's mean deposit is heavy-tailed, so a factor
  // per (energy bin, layer, ring) from 10k showers fits noise (measured: +-3% in E_tot/E_inc).
  void fit();

  float factor(int energy_bin, int layer, int ring) const;
  // Multiplies each voxel of `showers` (rows x 6480) by its cell's factor.
  void apply(std::span<float> showers, std::span<const float> energies) const;

  int64_t data_showers() const { return data_showers_; }
  int64_t generated_showers() const { return generated_showers_; }
  std::string provenance;  // what it was fitted on (file, sampler), stored in the JSON

  void save(const std::string& path) const;  // atomic JSON
  static ResponseCalibration load(const std::string& path);

 private:
  struct Sums {
    std::vector<double> energy;  // kEnergyBins x layers x rings
    std::vector<int64_t> hits;
  };
  void add(Sums& s, std::span<const float> showers, std::span<const float> energies);
  Sums data_, generated_;
  int64_t data_showers_ = 0, generated_showers_ = 0;
  std::vector<float> factor_;
};

// calibration.json in a calo_train output directory.
std::string calibration_path(const std::string& model_dir);

}  // namespace calo::gen
