// calo_qpu_calibrate: estimates the QPU's effective inverse temperature beta_eff for an RBM prior
// (CaloQVAE find_beta_cond: moment matching of Ising energies with partition 0 clamped to one
// incident-energy code) and stores it beside the RBM file as <rbm>.qpu.json.
//   calo_qpu_calibrate --rbm run/rbm.h5 --energy 31623 [--endpoint http://127.0.0.1:8123/sapi/]
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/log.hpp"
#include "host/runtime_policy.hpp"
#include "kernels/transform.hpp"
#include "qpu/calibrate.hpp"
#include "qpu/qpu_prior_sampler.hpp"
#include "samplers/prior_sampler.hpp"
#include "samplers/rbm.hpp"

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);
  CLI::App app{"Estimate beta_eff of a QPU (or the SAPI stand-in) for an RBM prior"};
  std::string rbm_path, log_level = "info";
  calo::qpu::QpuOptions q;
  calo::qpu::BetaEstimateOptions b;
  double energy = 31623.0;
  int num_reads = 128, reference = 1024, sweeps = 3000;
  uint64_t seed = 1;
  app.add_option("--rbm", rbm_path, "RBM file (Rbm::save); beta_eff goes to <rbm>.qpu.json")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--endpoint", q.endpoint,
                 "SAPI endpoint (default: DWAVE_API_ENDPOINT / dwave.conf)");
  app.add_option("--token", q.token, "API token (default: DWAVE_API_TOKEN / dwave.conf)");
  app.add_option("--solver", q.solver,
                 "solver name or JSON filter (default: dwave.conf solver, else the first listed)");
  app.add_option("--energy", energy, "incident energy (MeV) whose code clamps partition 0")
      ->check(CLI::PositiveNumber);
  app.add_option("--clamp-strength", q.clamp_strength, "|h| of the flux-bias clamp");
  app.add_option("--num-reads", num_reads, "QPU reads per iteration")->check(CLI::Range(2, 10000));
  app.add_option("--reference-samples", reference, "classical Gibbs reference samples")
      ->check(CLI::Range(2, 1000000));
  app.add_option("--gibbs-sweeps", sweeps, "Gibbs sweeps for the reference")
      ->check(CLI::PositiveNumber);
  app.add_option("--beta-init", b.beta_init, "initial beta")->check(CLI::PositiveNumber);
  app.add_option("--iterations", b.max_iterations, "maximum QPU calls")->check(CLI::PositiveNumber);
  app.add_option("--delta", b.delta0, "update exponent floor (reference: 4)");
  app.add_option("--thrs-const", b.thrs_const, "stopping-rule constant (reference: 1.5)");
  app.add_option("--timeout", q.timeout_s,
                 "HTTP timeout per request, s (default: dwave.conf request_timeout, else 60)");
  app.add_option("--retries", q.retries, "retries on 429/5xx/connection errors");
  app.add_option("--seed", seed, "seed of the classical reference");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (EFBIG), reported in one line
  try {
    calo::init_logging(log_level);
    const calo::Rbm rbm = calo::Rbm::load(rbm_path);
    const calo::qpu::RbmParams params = calo::qpu::rbm_params(rbm);
    // Reach the solver first: a bad token or endpoint fails before the classical reference runs.
    calo::qpu::QpuSampler sampler(q);
    sampler.solver();
    // Classical reference at beta = 1 with partition 0 clamped to the same code.
    auto gibbs = calo::make_gibbs_prior_sampler(calo::Backend::cpu, sweeps);
    const std::vector<float> energies(static_cast<size_t>(reference), static_cast<float>(energy));
    const std::vector<uint8_t> states = gibbs->sample(rbm, energies, seed);
    const std::vector<uint8_t> bits = calo::LatentLayout(rbm.n()).code(energy);
    const calo::qpu::BetaEstimate est =
        calo::qpu::calibrate_beta_eff(sampler, params, states, bits, num_reads, b);
    calo::qpu::store_beta_eff(rbm_path, est, sampler.solver().name);
    std::printf("beta_eff %.6g (%s after %zu QPU calls) written to %s\n", est.beta,
                est.converged ? "converged" : "NOT converged", est.betas.size(),
                calo::qpu::beta_sidecar_path(rbm_path).c_str());
    return est.converged ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
