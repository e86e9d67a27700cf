#pragma once
// High-level features of a whole shower file, streamed in row blocks, and the 362-dim FPD/KPD
// vector of CaloChallenge evaluate.py (prepare_high_data_for_classifier without the label).
#include <cstdint>
#include <string>
#include <vector>

#include "host/eval/metrics.hpp"
#include "kernels/eval/features.hpp"

namespace calo::eval {

struct FeatureTable {
  int64_t rows = 0;
  std::vector<double> e_inc, e_tot;  // rows, MeV
  // rows * 45 each, row-major (event, layer)
  std::vector<double> e_layer, ec_eta, ec_phi, width_eta, width_phi, ec_r, width_r, sparsity;
  // rows * 9 each (event, ring): the ring's share of E_tot and its fraction of hit voxels
  std::vector<double> ring_energy_fraction, ring_occupancy;
  double max_voxel = 0;  // largest thresholded voxel energy, MeV
  double layer(const std::vector<double>& v, int64_t i, int l) const { return v[i * kLayers + l]; }
};

// Thresholds (x < 0.0151515 MeV -> 0) then fills one event's features.
void add_event(FeatureTable& t, int64_t i, const float* shower, double e_inc);
FeatureTable features_of_showers(const std::vector<float>& energies,
                                 const std::vector<float>& showers);
// Streams `path` in blocks of `block_rows`; fails clearly unless it holds 45x16x9 = 6480 voxels.
FeatureTable features_of_file(const std::string& path, int64_t block_rows = 4096);
// Rows [first, first + count) of `t` (max_voxel is kept: it is the whole file's).
FeatureTable rows_of(const FeatureTable& t, int64_t first, int64_t count);

constexpr int kFpdDims = 1 + 45 * 8 + 1;  // 362
// [log10 E_inc, log10(E_layer+1e-8) x45, EC_eta/100, EC_phi/100, width_eta/100, width_phi/100,
//  log10(E_tot+1e-8), sparsity, EC_r/100, width_r/100]
Samples fpd_vectors(const FeatureTable& t);

}  // namespace calo::eval
