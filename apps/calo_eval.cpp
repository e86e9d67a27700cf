// calo_eval: CaloChallenge Dataset-2
// evaluation of a generated shower file against a reference: high-level features, FPD/KPD on the
// 362-dim feature vector (JetNet algorithm), separation powers, gnuplot plots, metrics.json and
// report.md.
//   calo_eval --reference dataset_2_2.hdf5 --generated gen.h5 --out eval_dir
//             [--rbm-energies encoded=enc.csv --rbm-energies classical=cls.csv ...]
#include <CLI/CLI.hpp>
#include <csignal>

#include <iostream>

#include "host/error.hpp"
#include "host/eval/evaluate.hpp"
#include "host/log.hpp"

int main(int argc, char** argv) {
  CLI::App app{"CaloChallenge Dataset-2 evaluation: FPD, KPD, separation powers, plots"};
  calo::eval::EvalOptions o;
  std::vector<std::string> rbm;
  std::string log_level = "info";
  bool no_fpd = false, no_plots = false;
  app.add_option("--reference", o.reference, "reference (Geant4) shower file, HDF5")->required();
  app.add_option("--generated", o.generated, "generated shower file, HDF5")->required();
  app.add_option("--out", o.out_dir, "output directory for metrics.json, report.md, plots")
      ->required();
  app.add_option("--rbm-energies", rbm,
                 "NAME=FILE.csv with one RBM energy per line (repeatable), histogrammed together");
  app.add_option("--fpd-min-samples", o.fpd.min_samples, "FPD smallest batch (CaloChallenge 10000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--fpd-max-samples", o.fpd.max_samples, "FPD largest batch (JetNet 50000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--fpd-batches", o.fpd.num_batches, "FPD draws per batch size (20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--fpd-points", o.fpd.num_points, "FPD batch sizes (10)")
      ->check(CLI::Range(3, 1000));
  app.add_option("--kpd-batch-size", o.kpd.batch_size, "KPD batch size (CaloChallenge 10000)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  app.add_option("--kpd-batches", o.kpd.num_batches, "KPD batches (10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", o.fpd.seed, "seed of the bootstrap draws");
  app.add_flag("--no-fpd-kpd", no_fpd, "skip FPD and KPD (features and separation powers only)");
  app.add_flag("--no-plots", no_plots, "do not run gnuplot");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (EFBIG), reported in one line
  try {
    calo::init_logging(log_level);
    o.kpd.seed = o.fpd.seed;
    o.fpd_kpd = !no_fpd;
    o.plots = !no_plots;
    if (o.fpd.max_samples < o.fpd.min_samples)
      calo::fail_input("--fpd-max-samples ({}) must be >= --fpd-min-samples ({})",
                       o.fpd.max_samples, o.fpd.min_samples);
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
