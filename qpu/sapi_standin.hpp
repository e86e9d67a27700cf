#pragma once
// Offline stand-in for the SAPI REST service (research/dwave.md section 6): same endpoints and
// JSON shapes, samples each ising problem with sequential heat-bath Gibbs at a hidden inverse
// temperature, applies flux biases as strong fields, returns realistic timing, rejects malformed
// problems like SAPI, and injects faults on request (for client tests).
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
  double beta = 5.0;  // hidden inverse temperature of the Ising samples
  int sweeps = 300;   // Gibbs sweeps per read (from a uniform random start)
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
  nlohmann::json solver_config() const;
  int requests_seen() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace calo::qpu
