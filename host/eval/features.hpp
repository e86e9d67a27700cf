#pragma once
// High-level features of a whole shower file, streamed in row blocks, and the FPD/KPD vector of
// CaloChallenge evaluate.py (prepare_high_data_for_classifier without the label): 362 numbers for
// datasets 2 and 3, 30 for 1-photons, 46 for 1-pions.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/eval/dataset.hpp"
#include "host/eval/metrics.hpp"
#include "kernels/eval/features.hpp"

namespace calo::eval {

struct FeatureTable {
  std::shared_ptr<const EvalDataset> dataset;  // the geometry and threshold they came from
  int64_t rows = 0;
  int layers = 0;  // feature layers (dataset->layers): the stride of the per-layer arrays
  int rings = 0;   // radial bins (the most of any layer): the stride of the per-ring arrays
  std::vector<double> e_inc, e_tot;  // rows, MeV
  // rows * layers each, row-major (event, feature layer); the eta/phi ones are meaningful only
  // for layers binned in alpha (dataset->alpha_binned)
  std::vector<double> e_layer, ec_eta, ec_phi, width_eta, width_phi, ec_r, width_r, sparsity;
  // rows * rings each (event, ring): the ring's share of E_tot and its fraction of hit voxels
  std::vector<double> ring_energy_fraction, ring_occupancy;
  double max_voxel = 0;  // largest thresholded voxel energy, MeV
  double layer(const std::vector<double>& v, int64_t i, int l) const { return v[i * layers + l]; }
};

// An empty table of `n` rows for `dataset`.
FeatureTable feature_table(const std::shared_ptr<const EvalDataset>& dataset, int64_t n);
// Thresholds (x < threshold -> 0) then fills row i from one shower (dataset->n_voxels() values).
void add_event(FeatureTable& t, int64_t i, const float* shower, double e_inc);
// Rows [first, first + rows) from a block of showers, in parallel; returns the block's largest
// thresholded voxel.
double add_block(FeatureTable& t, int64_t first, int64_t rows, const float* energies,
                 const float* showers);
FeatureTable features_of_showers(
    const std::vector<float>& energies, const std::vector<float>& showers,
    const std::shared_ptr<const EvalDataset>& dataset = EvalDataset::dataset2());
// Streams `path` in blocks of `block_rows` (the next block is read while this one is computed);
// fails clearly unless it holds the dataset's voxel count.
FeatureTable features_of_file(
    const std::string& path,
    const std::shared_ptr<const EvalDataset>& dataset = EvalDataset::dataset2(),
    int64_t block_rows = 2048);
// Rows [first, first + count) of `t` (max_voxel is kept: it is the whole file's).
FeatureTable rows_of(const FeatureTable& t, int64_t first, int64_t count);

constexpr int kFpdDims = 1 + 45 * 8 + 1;  // 362, datasets 2 and 3
// [log10 E_inc, log10(E_layer+1e-8) x L, EC_eta/100, EC_phi/100, width_eta/100, width_phi/100
//  (x A each, the layers binned in alpha), log10(E_tot+1e-8), sparsity x L, EC_r/100 x L,
//  width_r/100 x L]
Samples fpd_vectors(const FeatureTable& t);

}  // namespace calo::eval
