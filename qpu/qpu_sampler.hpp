#pragma once
// QPU prior sampling through SAPI: maps the RBM to Ising at 1/beta_eff, clamps partition 0 to the
// incident-energy code with flux biases, submits one problem per distinct energy code (num_reads =
// number of showers with that code) and maps the answer spins back to RBM states.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qpu/ising_mapping.hpp"
#include "qpu/sapi_client.hpp"

namespace calo::qpu {

struct QpuOptions {
  std::string endpoint;   // empty: DWAVE_API_ENDPOINT / dwave.conf / default
  std::string token;      // empty: DWAVE_API_TOKEN / dwave.conf
  std::string solver;     // name or JSON filter; empty: dwave.conf/DWAVE_API_SOLVER, else first
  double beta_eff = 4.0;  // Ising scale is 1 / beta_eff
  double clamp_strength = 20.0;  // |h| of the partition-0 clamp, as a flux bias (CaloQVAE thrsh)
  int num_reads = 1;             // reads per shower
  double timeout_s = 0;          // per request; 0: dwave.conf request_timeout, else 60 s
  int retries = 5;
  double annealing_time_us = 0;  // 0: solver default
  bool per_shower = false;       // one problem per shower instead of per distinct energy code
  std::string label = "calo4pq";
};

// Fills the SapiConfig from options, falling back to the environment / dwave.conf.
SapiConfig sapi_config_from(const QpuOptions& options);

class QpuSampler {
 public:
  explicit QpuSampler(QpuOptions options);
  // Returns energies.size() * num_reads rows of 4 n states (partition-major), partition 0 equal
  // to energy_code(E, n) in every row (a read whose clamp failed is reported as an error).
  std::vector<uint8_t> sample(const RbmParams& rbm, std::span<const float> energies_mev);
  // Unscaled-model Ising energies of samples drawn at scale 1 / beta (for beta estimation), with
  // partition 0 clamped to `bits` when not empty.
  std::vector<double> ising_energies(const RbmParams& rbm, double beta, int num_reads,
                                     std::span<const uint8_t> bits);
  const SolverInfo& solver();
  const QpuOptions& options() const { return options_; }
  // Phi0 per unit h of the solver's family (qpu/flux_constants.hpp); resolves the solver.
  double phi0_per_h();

 private:
  QpuOptions options_;
  std::unique_ptr<SapiClient> client_;
  std::unique_ptr<SolverInfo> solver_;
  double phi0_per_h_ = 0;
  nlohmann::json params(int num_reads, std::span<const double> flux_biases) const;
};

}  // namespace calo::qpu
