#pragma once
// One SAPI problem job as the stand-in sees it: type (ising or qubo), qp data, parameters
// validated against the solver's properties the way SAPI documents them (solver_parameters.rst),
// the auto_scale divisor (max of h / h_range, J / extended_j_range and the per-qubit or
// per-group coupling limit), and the timing the solver's timing model gives. A QUBO is sampled
// through its Ising form x = (s + 1) / 2; its range checks apply to that form, as on a QPU.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qpu/qp_codec.hpp"
#include "qpu/sapi_standin.hpp"

namespace calo::qpu {

// A rejected job: SAPI's error_code and error_msg.
struct JobError {
  int code;
  std::string message;
};

struct StandinJob {
  std::string type;         // "ising" or "qubo"
  IsingProblem programmed;  // as submitted (qubo: Q diagonal in h, off-diagonal in J)
  IsingProblem ising;       // Ising form, not scaled (qubo: h = Q_ii/2 + sum Q_ij/4, J = Q/4)
  IsingProblem field;       // ising / divisor + flux-bias fields: what the sampler sees
  std::vector<int> active;  // active qubits, ascending
  double divisor = 1;       // auto_scale divisor (1 without auto_scale)
  int num_reads = 1;
  bool histogram = true;
  nlohmann::json timing;  // answer timing fields (us)
};

// Validates and prepares `job` (one element of a POST problems/ list); throws JobError.
StandinJob prepare_job(const nlohmann::json& job, const StandinOptions& options);

// auto_scale divisor of an Ising problem for `options` (solver_parameters.rst, auto_scale).
double auto_scale_divisor(const IsingProblem& ising, const StandinOptions& options);

// Sum of J per (qubit, coupling group) on a Zephyr Z(m, t) graph (dwave-system
// coupling_groups.py: group 2Z+J+1-w internal, Z+J-z odd, ((z-Z) div 2) mod 2 external).
std::map<std::pair<int, int>, double> zephyr_group_sums(const IsingProblem& ising, int m, int t);

// Energy of 0/1 states x (spins s > 0 mean x = 1) under the QUBO in `qubo` (h = diagonal).
double qubo_energy(const IsingProblem& qubo, const std::vector<int>& active,
                   const std::vector<int8_t>& spins);

}  // namespace calo::qpu
