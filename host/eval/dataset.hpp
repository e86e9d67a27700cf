#pragma once
// What calo_eval needs to know about a CaloChallenge dataset: its geometry (binning XML), the
// readout threshold, the voxel centres the high-level features use and the histogram conventions
// of evaluate.py for that dataset (HP code/evaluate.py, evaluate_plotting_helper.py):
//   1-photons  368 voxels, layers 0 1 2 3 12 (1 and 2 binned in alpha), threshold 1 MeV
//   1-pions    533 voxels, layers 0 1 2 3 12 13 14 (1 2 12 13 in alpha), threshold 1 MeV
//   2          6480 voxels, 45 layers x 16 alpha x 9 r, threshold 0.5 keV / 0.033
//   3          40500 voxels, 45 layers x 50 alpha x 18 r, threshold 0.5 keV / 0.033
// Layers without radial bins are not detector readout in the file (evaluate.py's relevantLayers
// skips them); centres of energy and widths in eta/phi exist only for layers binned in alpha.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/geometry.hpp"

namespace calo::eval {

// Histogram ranges (mm) of one layer's observables, as evaluate_plotting_helper.py bins them.
struct LayerRanges {
  double ec_lo, ec_hi, width_hi, ec_r_hi, width_r_hi;
};

// E_tot/E_inc in one incident-energy window [lo, hi) MeV, with its histogram edges.
struct EincWindow {
  double lo_mev, hi_mev;
  std::vector<double> edges;
};

struct EvalDataset {
  std::string name;  // "1-photons", "1-pions", "2", "3", or the binning file's path
  Geometry geometry;
  double threshold_mev = 0;
  bool dataset1_conventions = false;  // histogram ranges and E_inc windows of dataset 1
  std::vector<int> layers;            // ids of the layers with voxels, ascending
  std::vector<char> alpha_binned;     // per entry of `layers`: more than one angular bin
  std::vector<double> x, y, r;        // per voxel: centre in mm (x = "eta", y = "phi")
  std::vector<int> ring;              // per voxel: radial bin within its layer
  std::vector<int> voxels_in_ring;    // per radial bin: voxels over all layers
  std::vector<std::pair<double, double>> avg_ranges_mev;  // average-shower E_inc ranges
  std::vector<EincWindow> einc_windows;

  int n_voxels() const { return geometry.n_voxels(); }
  int n_layers() const { return static_cast<int>(layers.size()); }
  int n_alpha_layers() const;
  int n_rings() const { return static_cast<int>(voxels_in_ring.size()); }
  // first voxel and voxel count of feature layer l (an index into `layers`)
  int layer_offset(int l) const { return geometry.layer_offset(layers.at(size_t(l))); }
  int layer_voxels(int l) const { return geometry.layer(layers.at(size_t(l))).n_voxels(); }
  LayerRanges ranges(int l) const;
  // size of the FPD/KPD and cls-high vector: 2 + 4 n_layers + 4 n_alpha_layers (362 for 2 and 3)
  int fpd_dims() const { return 2 + 4 * n_layers() + 4 * n_alpha_layers(); }
  double thresholded(double e) const { return e < threshold_mev ? 0.0 : e; }

  // "1-photons", "1-pions", "2" or "3" from data/binning (Dataset 2 built in code if absent).
  static std::shared_ptr<const EvalDataset> named(const std::string& name);
  // Any CaloChallenge binning XML. Dataset-1 conventions (1 MeV threshold, its histogram
  // ranges) apply when the XML's particle is a photon or a pion, else those of datasets 2/3;
  // `threshold_mev` overrides the threshold.
  static std::shared_ptr<const EvalDataset> from_binning(const std::string& path,
                                                         std::optional<double> threshold_mev = {});
  static std::shared_ptr<const EvalDataset> from_geometry(Geometry g, std::string name,
                                                          bool dataset1,
                                                          std::optional<double> threshold_mev);
  // Dataset 2, built once.
  static const std::shared_ptr<const EvalDataset>& dataset2();
};

}  // namespace calo::eval
