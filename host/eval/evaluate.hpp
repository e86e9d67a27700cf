#pragma once
// calo_eval's engine: features of both files, FPD/KPD, separation powers, gnuplot plots,
// metrics.json and report.md in an output directory.
#include <string>
#include <utility>
#include <vector>

#include "host/eval/features.hpp"
#include "host/eval/metrics.hpp"

namespace calo::eval {

struct EvalOptions {
  std::string reference, generated, out_dir;
  std::vector<std::pair<std::string, std::string>> rbm_energies;  // (label, CSV file)
  FpdOptions fpd{10000, 50000, 20, 10, true, 42};                 // CaloChallenge evaluate.py call
  KpdOptions kpd{10, 10000, true, 42};
  bool fpd_kpd = true;
  bool plots = true;
};

struct HistogramSpec {
  std::string name;
  std::vector<double> edges;
};

// Separation power of every CaloChallenge observable; keys like "etot_einc", "e_layer" (45).
struct SeparationPowers {
  double etot_einc = 0;
  std::vector<double> e_layer, ec_eta, ec_phi, width_eta, width_phi, ec_r, width_r, sparsity;
  std::vector<double> etot_einc_windows;  // per incident-energy window
};
// Incident-energy windows in GeV used for the conditioning checks.
const std::vector<std::pair<double, double>>& einc_windows_gev();
SeparationPowers separation_powers(const FeatureTable& ref, const FeatureTable& gen);

// Reads one value per line (first comma/space separated field); a non-numeric first line is a
// header. Fails with file and line on anything else.
std::vector<double> read_energy_csv(const std::string& path);

// Runs everything and writes DIR/metrics.json, DIR/report.md and DIR/*.png (when gnuplot exists).
void run_evaluation(const EvalOptions& o);

}  // namespace calo::eval
