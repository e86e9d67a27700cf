#pragma once
// Synthetic CaloChallenge Dataset-2 electron showers (Grindhammer-Peters with effective W/Si
// constants; see docs/synthetic_data.md). Event i draws only from Philox stream (seed, i), so a
// file is identical for any thread count.
#include <cstdint>
#include <string>
#include <vector>

#include "host/geometry.hpp"
#include "kernels/synth/gp_shower.hpp"

namespace calo {

struct SynthConfig {
  uint64_t seed = 1;
  double emin_mev = 1e3, emax_mev = 1e6;  // log-uniform incident energies
  // physics knobs
  double stochastic_term = 0.15;   // a in sigma/E = a/sqrt(E/GeV); fixes the hits per spot
  double visible_fraction = 0.98;  // <E_vis>/E_inc before leakage
  double mip_mpv = 2.55;           // stored MeV (84 keV in 300 um Si / 0.033)
  double mip_width = 0.16;         // Moyal width, stored MeV
  double cos_min = 0.4;            // path factor 1/cos(theta), cos ~ U(cos_min, 1)
  double soft_fraction = 0.1;      // fraction of sub-MIP hits, log-uniform [threshold, mpv]
  double smear_mm = 0.5;           // transverse spread of hits around their spot
  double dense_hits = 30.0;        // expected hits per voxel above which a Gamma law is used
  double primary_hits = 2.0;       // mean MIP hits of the primary track in layer 0
  double threshold_mev = 0.01515;  // readout threshold (0.5 keV / 0.033)
  int block_events = 1000;         // events generated in parallel between writes
};

class ShowerGenerator {
 public:
  explicit ShowerGenerator(SynthConfig config, Geometry geometry = Geometry::dataset2());
  const SynthConfig& config() const { return config_; }
  const synth::GpParams& params() const { return params_; }
  int n_voxels() const { return synth::kVoxels; }
  // Log-uniform in [emin, emax] from block 0 of stream (seed, event).
  double sample_energy(int64_t event) const;
  // Fills voxels[n_voxels()] (stored MeV) from stream (seed, event), blocks 1, 2, ...
  void generate(int64_t event, double e_inc_mev, float* voxels) const;

 private:
  SynthConfig config_;
  synth::GpParams params_;
};

// Writes `events` showers to a CaloChallenge HDF5 file. With fixed_energies (MeV), event i gets
// (*fixed_energies)[i % size]; otherwise sample_energy(i).
void synthesize_file(const std::string& path, int64_t events, const SynthConfig& config,
                     const std::vector<double>* fixed_energies = nullptr, bool progress = true);

// Mean longitudinal (per layer) and radial (per ring, per mm^2) energy profiles, stored MeV,
// normalised to the incident energy, from `events` showers at each fixed energy (for the docs
// plots). layer[e][l], ring_density[e][r].
struct MeanProfiles {
  std::vector<double> energies_mev;
  std::vector<std::vector<double>> layer, ring_density;
};
MeanProfiles mean_profiles(const SynthConfig& config, const std::vector<double>& energies_mev,
                           int events);

}  // namespace calo
