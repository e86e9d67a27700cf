// calo_synth: writes synthetic CaloChallenge Dataset-2 electron showers (docs/synthetic_data.md).
#include <omp.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "host/error.hpp"
#include "host/log.hpp"
#include "host/runtime_policy.hpp"
#include "host/synth/shower_generator.hpp"

namespace {

std::vector<double> read_energies(const std::string& path) {
  std::ifstream in(path);
  if (!in) calo::fail_input("cannot open energy list '{}'", path);
  std::vector<double> out;
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    ++row;
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    try {
      size_t used = 0;
      const std::string field = line.substr(start);
      out.push_back(std::stod(field, &used));
      if (field.find_first_not_of(" \t\r", used) != std::string::npos)
        throw std::invalid_argument(field);
    } catch (const std::exception&) {
      calo::fail_input("{}:{}: '{}' is not a number (one incident energy in MeV per line)", path,
                       row, line);
    }
  }
  if (out.empty()) calo::fail_input("energy list '{}' holds no energies", path);
  return out;
}

void write_profiles(const std::string& path, const calo::SynthConfig& cfg, int events) {
  const std::vector<double> es = {1e3, 1e4, 1e5, 1e6};
  const calo::MeanProfiles p = calo::mean_profiles(cfg, es, events);
  std::ofstream out(path);
  if (!out) calo::fail_input("cannot write profiles to '{}'", path);
  out << "# mean longitudinal profile: layer, depth_mm(centre), E_layer/E_inc at 1,10,100,1000 "
         "GeV\n";
  for (int l = 0; l < calo::synth::kLayers; ++l) {
    out << l << ' ' << (l + 0.5) * calo::synth::kLayerMm;
    for (size_t e = 0; e < es.size(); ++e) out << ' ' << p.layer[e][l];
    out << '\n';
  }
  out << "\n\n# mean radial profile: ring, r_mm(centre), E/(E_inc mm^2) at 1,10,100,1000 GeV\n";
  for (int r = 0; r < calo::synth::kRadii; ++r) {
    out << r << ' ' << (r + 0.5) * calo::synth::kRingMm;
    for (size_t e = 0; e < es.size(); ++e) out << ' ' << p.ring_density[e][r];
    out << '\n';
  }
  if (!out) calo::fail_input("failed writing profiles to '{}'", path);
}

}  // namespace

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);
  CLI::App app{"Synthetic CaloChallenge Dataset-2 electron showers (Grindhammer-Peters, W/Si)"};
  std::string out, energies_file, log_level = "info";
  int64_t events = 0;
  int dataset = 2;
  double energy = 0.0;
  bool no_progress = false;
  std::string profiles;
  int profile_events = 500;
  calo::SynthConfig cfg;
  app.add_option("--out", out, "output HDF5 file (CaloChallenge format)");
  app.add_option("--profiles", profiles,
                 "instead of a file: write mean longitudinal and radial profiles at 1, 10, 100, "
                 "1000 GeV to this text file (for docs/img plots)");
  app.add_option("--profile-events", profile_events, "events per energy for --profiles")
      ->default_val(500);
  app.add_option("--events", events, "number of events (default: size of --energies)");
  app.add_option("--seed", cfg.seed, "random seed")->default_val(1);
  app.add_option("--emin", cfg.emin_mev, "lowest incident energy, MeV")->default_val(1e3);
  app.add_option("--emax", cfg.emax_mev, "highest incident energy, MeV")->default_val(1e6);
  app.add_option("--energy", energy, "fixed incident energy for every event, MeV");
  app.add_option("--energies", energies_file,
                 "text file, one incident energy (MeV) per line; event i uses line i mod n");
  app.add_option("--dataset", dataset, "CaloChallenge dataset (only 2 is modelled)")
      ->default_val(2);
  app.add_option("--stochastic-term", cfg.stochastic_term, "a in sigma/E = a/sqrt(E/GeV)")
      ->default_val(0.15);
  app.add_option("--visible-fraction", cfg.visible_fraction, "mean E_vis/E_inc before leakage")
      ->default_val(0.98);
  app.add_option("--block", cfg.block_events, "events per parallel block")->default_val(1000);
  app.add_flag("--no-progress", no_progress, "no progress bar");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (EFBIG), reported in one line
  try {
    calo::init_logging(log_level);
    if (dataset != 2)
      calo::fail_input("--dataset {}: calo_synth only models Dataset 2 (45 x 16 x 9 voxels)",
                       dataset);
    if (!profiles.empty()) {
      write_profiles(profiles, cfg, profile_events);
      return 0;
    }
    if (out.empty()) calo::fail_input("--out FILE.h5 is required");
    if (energy != 0.0 && !energies_file.empty())
      calo::fail_input("give either --energy or --energies, not both");
    std::vector<double> fixed;
    if (!energies_file.empty()) fixed = read_energies(energies_file);
    if (energy != 0.0) fixed.assign(1, energy);
    if (events == 0 && !energies_file.empty()) events = static_cast<int64_t>(fixed.size());
    if (events < 1) calo::fail_input("--events must be >= 1 (got {})", events);
    const auto t0 = std::chrono::steady_clock::now();
    calo::synthesize_file(out, events, cfg, fixed.empty() ? nullptr : &fixed, !no_progress);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("wrote {} events to {} in {:.1f} s ({:.0f} events/s, {} threads)", events, out, s,
                 events / s, omp_get_max_threads());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
