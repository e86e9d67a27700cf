// calo_gen: generates showers from a trained Calo4pQVAE with the RBM prior sampled classically
// (cpu, cuda) or by a QPU through SAPI (qpu; endpoint and token from DWAVE_API_ENDPOINT /
// DWAVE_API_TOKEN or the dwave config file). Under mpirun/srun the ranks share the events and
// rank 0 writes the one output file (host/gen/generator.hpp).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "host/atomic_file.hpp"
#include "host/dist/communicator.hpp"
#include "host/dist/local_device.hpp"
#include "host/error.hpp"
#include "host/gen/generator.hpp"
#include "host/log.hpp"
#include "host/runtime_policy.hpp"
#include "qpu/calibrate.hpp"
#include "qpu/qpu_prior_sampler.hpp"

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);
  CLI::App app{"calo_gen: generate calorimeter showers (CaloChallenge HDF5) from a trained model"};
  calo::gen::GenerateOptions o;
  std::string backend = "cpu", log_level = "info", timing_json;
  int sweeps = 1000;
  float beta = 1.0f;
  calo::qpu::QpuOptions q;
  app.add_option("--model", o.model_dir, "calo_train output directory")->required();
  app.add_option("--out", o.out_path, "output HDF5 file (required unless only --calibrate-on)");
  std::string calibrate_on;
  int64_t calibration_showers = 10000;
  app.add_option("--calibrate-on", calibrate_on,
                 "fit the response calibration on this TRAINING file (never the evaluation "
                 "reference) and write MODEL/calibration.json, then generate if --out is given");
  app.add_option("--calibration-showers", calibration_showers,
                 "training showers the calibration fit generates and compares")
      ->default_val(10000)
      ->check(CLI::PositiveNumber);
  bool no_calibration = false;
  app.add_flag("--no-calibration", no_calibration,
               "ignore MODEL/calibration.json (uncalibrated decoder output)");
  app.add_option("--backend", backend, "prior sampler: cpu, cuda or qpu")
      ->check(CLI::IsMember({"cpu", "cuda", "qpu"}));
  app.add_option("--energies", o.energies_path,
                 "take incident energies from this CaloChallenge file");
  app.add_option("--events", o.events, "number of showers (with --energies: at most this many)");
  app.add_option("--emin", o.emin_mev, "lowest incident energy for --events, MeV")
      ->default_val(1e3);
  app.add_option("--emax", o.emax_mev, "highest incident energy for --events, MeV")
      ->default_val(1e6);
  app.add_option("--batch", o.batch, "showers per batch (one Gibbs chain per shower)")
      ->default_val(256);
  app.add_option("--sweeps", sweeps, "block-Gibbs sweeps per sample (cpu/cuda)")->default_val(1000);
  app.add_option("--beta", beta, "inverse temperature of the classical sampler")->default_val(1.0f);
  app.add_option("--seed", o.seed, "random seed")->default_val(1);
  app.add_option("--clamp-strength", q.clamp_strength,
                 "qpu: |h| of the flux-bias clamp of partition 0");
  app.add_option("--qpu-beta", q.beta_eff,
                 "qpu: effective inverse temperature (default: calibrated value)");
  app.add_option("--solver", q.solver,
                 "qpu: solver name or JSON filter (default: dwave.conf solver, else first listed)");
  app.add_option("--timeout", q.timeout_s,
                 "qpu: HTTP timeout per request, s (default: dwave.conf request_timeout, else 60)");
  app.add_option("--retries", q.retries, "qpu: retries on 429/5xx/connection errors");
  app.add_option("--timing-json", timing_json, "also write the timing line as JSON here");
  app.add_option("--rbm-energies", o.rbm_energy_csv,
                 "write the RBM energy of every prior sample (CSV)");
  std::string encoded_csv;
  app.add_option("--encoded-rbm-energies", encoded_csv,
                 "also encode the --energies file's showers and write their RBM energies (CSV)");
  std::string latents = "prior";
  app.add_option("--latents", latents,
                 "decoder latents: prior (generation), encoded (reconstruct the --energies "
                 "file's showers) or random (uniform bits); the last two are ablations")
      ->check(CLI::IsMember({"prior", "encoded", "random"}));
  bool no_progress = false;
  app.add_flag("--no-progress", no_progress, "no progress bar");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (EFBIG), reported in one line
  std::unique_ptr<calo::dist::Communicator> comm;
  try {
    calo::init_logging(log_level);
    comm = calo::dist::world_communicator();
    o.comm = comm.get();
    const bool root = comm->is_root();
    if (!root) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the job
    // Test-only fault hook: CALO_TEST_FAULT_RANK_EXIT=RANK:BLOCKS makes that rank exit abruptly.
    if (const char* fault = std::getenv("CALO_TEST_FAULT_RANK_EXIT")) {
      long long after = -1;
      if (std::sscanf(fault, "%d:%lld", &o.test_fault_rank, &after) != 2)
        calo::fail_input("CALO_TEST_FAULT_RANK_EXIT='{}': expected RANK:BLOCKS", fault);
      o.test_fault_after_blocks = after;
    }
    o.progress = !no_progress;
    o.calibrate = !no_calibration;
    if (o.out_path.empty() && calibrate_on.empty())
      calo::fail_input("--out FILE.h5 is required (or --calibrate-on TRAIN.h5 alone)");
    o.latents = calo::gen::parse_latent_source(latents);
    std::unique_ptr<calo::PriorSampler> prior;
    if (backend == "qpu") {
      if (!app.count("--qpu-beta")) {
        const std::string rbm_file = (std::filesystem::path(o.model_dir) / "rbm.h5").string();
        if (const auto b = calo::qpu::load_beta_eff(rbm_file)) {
          q.beta_eff = *b;
          spdlog::info("qpu: calibrated beta_eff = {:.3f} (from {}.qpu.json)", q.beta_eff,
                       rbm_file);
        } else {
          spdlog::warn(
              "qpu: no calibration found (run calo_qpu_calibrate --rbm {}); using beta_eff = {}",
              rbm_file, q.beta_eff);
        }
      }
      prior = calo::make_qpu_prior_sampler(q);
      o.backend = calo::Backend::cpu;  // the decoder runs on the host; the prior on the QPU
    } else {
      o.backend = calo::parse_backend(backend);
      if (o.backend == calo::Backend::cuda && comm->size() > 1)
        calo::dist::select_local_cuda_device();  // one rank per GPU of the node
      calo::require_backend(o.backend);
      prior = calo::make_gibbs_prior_sampler(o.backend, sweeps, beta);
    }
    if (!calibrate_on.empty()) {
      const std::string fitted =
          calo::gen::fit_response_calibration(o, *prior, calibrate_on, calibration_showers);
      if (root) spdlog::info("{}", fitted);
      if (o.out_path.empty()) return 0;
    }
    const calo::gen::GenerateTiming t = calo::gen::generate(o, *prior);
    if (!root) return 0;
    std::printf("%s\n", t.summary(prior->name()).c_str());
    if (!timing_json.empty()) calo::write_text_atomically(timing_json, t.json(prior->name()));
    if (!encoded_csv.empty()) {
      if (o.energies_path.empty())
        calo::fail_input("--encoded-rbm-energies needs --energies FILE.h5");
      const int64_t k = calo::gen::write_encoded_rbm_energies(o.model_dir, o.energies_path,
                                                              encoded_csv, o.batch, o.seed);
      spdlog::info("RBM energies of {} encoded showers written to {}", k, encoded_csv);
    }
  } catch (const std::exception& e) {
    if (comm && comm->size() > 1) {
      std::fprintf(stderr, "error: rank %d of %d: %s\n", comm->rank(), comm->size(), e.what());
      std::fflush(stderr);
      comm->abort(1);  // the other ranks would wait forever for this rank's blocks
    }
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
