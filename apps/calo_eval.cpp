// calo_eval: CaloChallenge evaluation of a generated shower file against a reference (datasets
// 1-photons, 1-pions, 2 and 3, or any binning XML):
// high-level features, FPD/KPD on the 362-dim feature vector (JetNet algorithm), PRDC, the DNN
// classifiers (cls-low, cls-low-normed, cls-high), separation powers, gnuplot plots (histograms,
// per-layer histograms, average-shower images), metrics.json and report.md; --floor measures the
// same metrics for two Geant4 samples of the generated sample's size.
//   calo_eval --reference dataset_2_2.hdf5 --generated gen.h5 --out eval_dir
//             [--dataset 1-photons|1-pions|2|3 | --binning FILE.xml] [--threshold MEV]
//             [--floor dataset_2_1.hdf5 | --floor split] [--prdc] [--classifier cls-high ...]
//             [--rbm-energies encoded=enc.csv --rbm-energies classical=cls.csv ...]
#include <CLI/CLI.hpp>
#include <csignal>

#include <iostream>
#include <optional>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/eval/evaluate.hpp"
#include "host/log.hpp"
#include "host/runtime_policy.hpp"

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv, calo::BlasThreads::library);
  CLI::App app{"CaloChallenge evaluation: FPD, KPD, PRDC, classifiers, separation powers, plots"};
  calo::eval::EvalOptions o;
  auto& p = o.pair;
  std::vector<std::string> rbm;
  std::string log_level = "info", backend = "cpu", dataset = "2", binning;
  std::optional<double> threshold;
  bool no_fpd = false, no_plots = false;
  app.add_option("--reference", o.reference, "reference (Geant4) shower file, HDF5")->required();
  app.add_option("--generated", o.generated, "generated shower file, HDF5")->required();
  app.add_option("--out", o.out_dir, "output directory for metrics.json, report.md, plots")
      ->required();
  auto* ds_opt = app.add_option("--dataset", dataset,
                                "CaloChallenge dataset: 1-photons, 1-pions, 2 (default) or 3")
                     ->check(CLI::IsMember({"1-photons", "1-pions", "2", "3"}));
  app.add_option("--binning", binning,
                 "a CaloChallenge binning XML instead of --dataset (photon/pion files get "
                 "dataset-1 conventions)")
      ->check(CLI::ExistingFile)
      ->excludes(ds_opt);
  app.add_option("--threshold", threshold,
                 "voxel threshold in MeV (default: evaluate.py's, 1 for dataset 1, 0.0151515 "
                 "for 2 and 3)");
  app.add_option("--rbm-energies", rbm,
                 "NAME=FILE.csv with one RBM energy per line (repeatable), histogrammed together");
  app.add_option("--fpd-min-samples", p.fpd.min_samples, "FPD smallest batch (CaloChallenge 10000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--fpd-max-samples", p.fpd.max_samples, "FPD largest batch (JetNet 50000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--fpd-batches", p.fpd.num_batches, "FPD draws per batch size (20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--fpd-points", p.fpd.num_points, "FPD batch sizes (10)")
      ->check(CLI::Range(3, 1000));
  app.add_option("--kpd-batch-size", p.kpd.batch_size, "KPD batch size (CaloChallenge 10000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--kpd-batches", p.kpd.num_batches, "KPD batches (10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", p.fpd.seed, "seed of the bootstrap draws and the classifier");
  app.add_option("--floor", o.floor,
                 "measure the floor: a second Geant4 FILE (its first N_gen showers vs the "
                 "reference) or 'split' (the reference's last N_gen showers vs its others)");
  app.add_flag("--prdc", p.prdc, "precision, recall, density, coverage on log10 voxels");
  app.add_option("--prdc-k", p.prdc_k, "PRDC nearest neighbours (5)")->check(CLI::PositiveNumber);
  app.add_option("--prdc-samples", p.prdc_samples, "PRDC on the first N showers of each (0 = all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--classifier", p.classifiers,
                 "DNN classifier test, repeatable: cls-low, cls-low-normed, cls-high")
      ->check(CLI::IsMember(calo::eval::classifier_modes()));
  app.add_option("--cls-hidden", p.cls.hidden, "classifier hidden width (2048)")
      ->check(CLI::PositiveNumber);
  app.add_option("--cls-layers", p.cls.layers, "classifier extra hidden layers (2)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cls-epochs", p.cls.epochs, "classifier epochs (50)")
      ->check(CLI::PositiveNumber);
  app.add_option("--cls-batch-size", p.cls.batch_size, "classifier batch size (1000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--cls-lr", p.cls.lr, "classifier Adam learning rate (2e-4)")
      ->check(CLI::PositiveNumber);
  app.add_option("--cls-patience", p.cls.patience,
                 "stop after N epochs without a better test accuracy (0 = official: all epochs)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cls-max-per-class", p.cls.max_per_class,
                 "classifier on at most N showers per class (0 = all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--backend", backend, "classifier backend: cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--no-fpd-kpd", no_fpd, "skip FPD and KPD (features and separation powers only)");
  app.add_flag("--no-plots", no_plots, "do not run gnuplot");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (EFBIG), reported in one line
  try {
    calo::init_logging(log_level);
    if (!binning.empty())
      o.dataset = calo::eval::EvalDataset::from_binning(binning, threshold);
    else if (dataset == "2" && !threshold)
      o.dataset = calo::eval::EvalDataset::dataset2();
    else
      o.dataset = calo::eval::EvalDataset::from_geometry(calo::Geometry::dataset(dataset), dataset,
                                                         dataset[0] == '1', threshold);
    p.kpd.seed = p.fpd.seed;
    p.cls.seed = p.fpd.seed;
    p.cls.backend = calo::parse_backend(backend);
    p.fpd_kpd = !no_fpd;
    o.plots = !no_plots;
    if (p.fpd.max_samples < p.fpd.min_samples)
      calo::fail_input("--fpd-max-samples ({}) must be >= --fpd-min-samples ({})",
                       p.fpd.max_samples, p.fpd.min_samples);
    for (const auto& s : rbm) {
      const auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
        calo::fail_input("--rbm-energies '{}': expected NAME=FILE.csv", s);
      o.rbm_energies.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    calo::eval::run_evaluation(o);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
