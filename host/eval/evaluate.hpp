#pragma once
// calo_eval's engine: features of both files, FPD/KPD, PRDC, DNN classifiers, separation powers,
// gnuplot plots (histograms, per-layer histograms, average-shower images), metrics.json and
// report.md in an output directory; with a floor sample, the whole-sample metrics again for two
// Geant4 samples of the generated sample's size, printed beside the generated ones.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/eval/dataset.hpp"
#include "host/eval/features.hpp"
#include "host/eval/metrics.hpp"
#include "host/eval/pair_metrics.hpp"

namespace calo::eval {

struct EvalOptions {
  std::string reference, generated, out_dir;
  std::shared_ptr<const EvalDataset> dataset = EvalDataset::dataset2();
  std::vector<std::pair<std::string, std::string>> rbm_energies;  // (label, CSV file)
  PairOptions pair;
  // "" no floor; "split": the reference's last min(N_gen, N_ref / 2) showers against its other
  // showers; otherwise a second Geant4 file, its first N_gen showers against the reference.
  std::string floor;
  bool plots = true;
};

// Separation power of every CaloChallenge observable; keys like "etot_einc", "e_layer" (one per
// layer with voxels: 45 for datasets 2 and 3). NaN where the observable is undefined: one sample
// has no entry in the histogram's range (an always-empty layer in E_layer, an incident-energy
// window without showers) while the other has.
struct SeparationPowers {
  double etot_einc = 0, voxel = 0;
  std::vector<int> layers, alpha_layers;                 // layer ids of the per-layer entries below
  std::vector<double> e_layer, ec_r, width_r, sparsity;  // per entry of `layers`
  std::vector<double> ec_eta, ec_phi, width_eta, width_phi;  // per entry of `alpha_layers`
  std::vector<double> etot_einc_windows;  // per incident-energy window of the dataset
};
SeparationPowers separation_powers(const FeatureTable& ref, const FeatureTable& gen);

// logspace(log10(threshold), log10(top), n) with the last edge set to `top` exactly, so the
// reference maximum is always the last bin's (closed) right edge; see docs in evaluate.cpp.
std::vector<double> energy_edges(double top, int n, double threshold_mev = kThresholdMeV);
// Separation power of two value sets over `edges`; NaN when exactly one has no entry in range,
// 0 when neither has.
double separation_power_of(const std::vector<double>& a, const std::vector<double>& b,
                           const std::vector<double>& edges);

// Reads one value per line (first comma/space separated field); a non-numeric first line is a
// header. Fails with file and line on anything else.
std::vector<double> read_energy_csv(const std::string& path);

// Runs everything and writes DIR/metrics.json, DIR/report.md and DIR/*.png (when gnuplot exists).
void run_evaluation(const EvalOptions& o);

}  // namespace calo::eval
