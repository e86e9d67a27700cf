#pragma once
// Offline stand-in for the SAPI REST service (research/dwave.md section 6): same endpoints and
// JSON shapes under /sapi/, /sapi/v2/ and /<region>/sapi/v2/, plus the Metadata API's region list
// at /metadata/v1/regions/. Samples each ising or qubo problem with sequential heat-bath Gibbs at a
// hidden inverse temperature, applies flux biases as strong fields (with the solver family's
// Phi0-per-h constant), answers in raw or histogram mode, returns timing from the solver's timing
// model, validates parameters and ranges like SAPI, keeps problems PENDING for `queue_s` (long
// polls block), supports single and batch cancel, problem listing, /info and /messages, and
// injects a few faults on request (for client tests). Solver profiles: qpu/solver_profile.hpp.
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "qpu/qp_codec.hpp"

namespace calo::qpu {

struct StandinOptions {
  std::string token = "standin-token";
  std::string solver_name = "Advantage2_standin";
  std::string topology_type = "zephyr";
  std::vector<int> topology_shape = {6, 4};
  SolverGraph graph;
  double h_range[2] = {-4, 4};
  double j_range[2] = {-1, 1};
  double extended_j_range[2] = {-2, 1};         // the J range accepted with auto_scale false
  double per_group_coupling_range[2] = {0, 0};  // Advantage2 (Zephyr coupling groups); 0,0: none
  double per_qubit_coupling_range[2] = {0, 0};  // Advantage (sum of J per qubit); 0,0: none
  int max_num_reads = 10000;
  double annealing_time_range[2] = {0.5, 2000};    // us
  double fast_anneal_time_range[2] = {0.005, 83};  // us
  double default_annealing_time_us = 20;
  double default_programming_thermalization_us = 1000;
  double default_readout_thermalization_us = 0;
  double programming_thermalization_range[2] = {0, 10000};
  double readout_thermalization_range[2] = {0, 10000};
  double problem_run_duration_range[2] = {0, 1000000};
  double anneal_offset_range[2] = {-0.64, 0.51};  // per working qubit
  // Timing model (us): programming = typical + programming_thermalization; per read
  // anneal + readout + delay + readout_thermalization (Advantage_system4.1-like defaults).
  double typical_programming_time_us = 14062.36;
  double readout_time_per_sample_us = 36.4;
  double qpu_delay_time_per_sample_us = 20.54;
  std::string chip_id;  // empty: the solver name
  double queue_s = 0;   // problems stay PENDING this long after submission (long polls block)
  double beta = 5.0;    // hidden inverse temperature of the Ising samples
  int sweeps = 300;     // Gibbs sweeps per read (from a uniform random start)
  uint64_t seed = 1;
  // Fault injection, counted over all requests in arrival order.
  int fail_first = 0;  // answer the first k requests with `fail_status`
  int fail_status = 503;
  int drop_first = 0;             // then abort the next k replies mid-body (dropped connection)
  double delay_s = 0.0;           // sleep before answering every request
  bool malformed_answer = false;  // send answers whose 'solutions' are truncated
  bool pending_first = false;     // submissions reply PENDING; the first poll completes them
};

// Samples `reads` states of E = sum h s + sum J s s (h already includes flux fields) at `beta`;
// returns spins per read in the order of `active`. Deterministic in (seed, stream).
std::vector<std::vector<int8_t>> gibbs_sample_ising(const IsingProblem& problem,
                                                    const std::vector<int>& active, double beta,
                                                    int reads, int sweeps, uint64_t seed,
                                                    uint64_t stream);
double ising_energy(const IsingProblem& problem, const std::vector<int>& active,
                    const std::vector<int8_t>& spins);

class StandinServer {
 public:
  explicit StandinServer(StandinOptions options);
  ~StandinServer();
  StandinServer(const StandinServer&) = delete;
  StandinServer& operator=(const StandinServer&) = delete;

  // Binds host:port (port 0 = any free port), serves in a background thread, returns the port.
  int start(const std::string& host = "127.0.0.1", int port = 0);
  // Serves in the calling thread until stop() (for the calo_sapi_standin app).
  void run(const std::string& host, int port);
  void stop();
  std::string endpoint() const;  // http://127.0.0.1:<port>/sapi/
  // The Metadata API root (http://127.0.0.1:<port>/metadata/v1/); its regions/ lists na-west-1
  // at <root>/sapi/v2/ and eu-central-1 at <root>/eu-central-1/sapi/v2/, both served here.
  std::string metadata_endpoint() const;
  nlohmann::json solver_config() const;
  int requests_seen() const;
  bool metadata_saw_token() const;  // a Metadata API request carried X-Auth-Token (it must not)

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace calo::qpu
